-- larkdesk schema, version 23 (issue 13): agent_tickets and tag_tickets lose their seq
-- indexes (with 1M tickets ~140 MB of the file: an index on a WITHOUT ROWID table holds
-- the whole primary key besides seq). The triggers that keep the two tables find a row by
-- its primary key instead, from the ticket's row (before or after the change, whichever
-- the rows hold at that moment) and its link rows (ticket_agents / ticket_tags by seq).
DROP INDEX agent_tickets_seq;
DROP INDEX tag_tickets_seq;

DROP TRIGGER agent_tickets_remove;
CREATE TRIGGER agent_tickets_remove AFTER DELETE ON ticket_agents BEGIN
    DELETE FROM agent_tickets
    WHERE helpdesk_id = (SELECT helpdesk_id FROM tickets WHERE seq = OLD.seq)
        AND agent_id = OLD.agent_id
        AND created_at = (SELECT created_at FROM tickets WHERE seq = OLD.seq)
        AND ticket_id = (SELECT ticket_id FROM tickets WHERE seq = OLD.seq);
END;

DROP TRIGGER tag_tickets_remove;
CREATE TRIGGER tag_tickets_remove AFTER DELETE ON ticket_tags BEGIN
    DELETE FROM tag_tickets
    WHERE helpdesk_id = (SELECT helpdesk_id FROM tickets WHERE seq = OLD.seq)
        AND tag_name = OLD.tag_name
        AND created_at = (SELECT created_at FROM tickets WHERE seq = OLD.seq)
        AND ticket_id = (SELECT ticket_id FROM tickets WHERE seq = OLD.seq);
END;

DROP TRIGGER link_order_follows;
CREATE TRIGGER link_order_follows AFTER UPDATE OF helpdesk_id, created_at, ticket_id, updated_at
ON tickets
WHEN NEW.helpdesk_id IS NOT OLD.helpdesk_id OR NEW.created_at IS NOT OLD.created_at
    OR NEW.ticket_id IS NOT OLD.ticket_id OR NEW.updated_at IS NOT OLD.updated_at
BEGIN
    UPDATE agent_tickets
    SET helpdesk_id = NEW.helpdesk_id, created_at = NEW.created_at, ticket_id = NEW.ticket_id
    WHERE helpdesk_id = OLD.helpdesk_id
        AND agent_id IN (SELECT agent_id FROM ticket_agents WHERE seq = OLD.seq)
        AND created_at = OLD.created_at AND ticket_id = OLD.ticket_id;
    UPDATE tag_tickets
    SET helpdesk_id = NEW.helpdesk_id, created_at = NEW.created_at, ticket_id = NEW.ticket_id,
        updated_at = NEW.updated_at
    WHERE helpdesk_id = OLD.helpdesk_id
        AND tag_name IN (SELECT tag_name FROM ticket_tags WHERE seq = OLD.seq)
        AND created_at = OLD.created_at AND ticket_id = OLD.ticket_id;
END;

DROP TRIGGER link_order_drops;
CREATE TRIGGER link_order_drops AFTER DELETE ON tickets BEGIN
    DELETE FROM agent_tickets
    WHERE helpdesk_id = OLD.helpdesk_id
        AND agent_id IN (SELECT agent_id FROM ticket_agents WHERE seq = OLD.seq)
        AND created_at = OLD.created_at AND ticket_id = OLD.ticket_id;
    DELETE FROM tag_tickets
    WHERE helpdesk_id = OLD.helpdesk_id
        AND tag_name IN (SELECT tag_name FROM ticket_tags WHERE seq = OLD.seq)
        AND created_at = OLD.created_at AND ticket_id = OLD.ticket_id;
END;

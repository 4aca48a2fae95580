-- A ticket's update time is the only link-order column a status change moves, but the
-- trigger of 0003 rewrote the ticket's whole agent_tickets and tag_tickets rows whenever
-- any of its columns was named by an UPDATE (updated_at is named by every status change):
-- the rows' keys were set to themselves, so every link's index entries were rewritten.
-- Now the whole rows follow only a change of the helpdesk, creation time or id, and an
-- update time alone moves only tag_tickets.updated_at (agent_tickets has none). The rows
-- are found by their primary keys (0023 dropped the tables' seq indexes): the ticket's
-- old key columns and its link rows in ticket_agents / ticket_tags.
DROP TRIGGER link_order_follows;
CREATE TRIGGER link_order_follows AFTER UPDATE OF helpdesk_id, created_at, ticket_id
ON tickets
WHEN NEW.helpdesk_id IS NOT OLD.helpdesk_id OR NEW.created_at IS NOT OLD.created_at
    OR NEW.ticket_id IS NOT OLD.ticket_id
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
CREATE TRIGGER link_updated_at_follows AFTER UPDATE OF updated_at ON tickets
WHEN NEW.updated_at IS NOT OLD.updated_at AND NEW.helpdesk_id IS OLD.helpdesk_id
    AND NEW.created_at IS OLD.created_at AND NEW.ticket_id IS OLD.ticket_id
BEGIN
    UPDATE tag_tickets SET updated_at = NEW.updated_at
    WHERE helpdesk_id = NEW.helpdesk_id
        AND tag_name IN (SELECT tag_name FROM ticket_tags WHERE seq = NEW.seq)
        AND created_at = NEW.created_at AND ticket_id = NEW.ticket_id;
END;

-- larkdesk schema, version 3 (issue 6): the agent and tag filters read their own tables,
-- in list order, so that counting a busy agent's tickets or paging through a tag reads one
-- index range (no lookup of each ticket, no sort). Triggers keep them in step with
-- ticket_agents / ticket_tags / tickets, so writers only write those (bulk loads fill them
-- in one statement each: store/sqlite_bulk.py).

CREATE TABLE agent_tickets (
    helpdesk_id TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    ticket_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (helpdesk_id, agent_id, created_at DESC, ticket_id DESC)
) WITHOUT ROWID;
CREATE INDEX agent_tickets_seq ON agent_tickets (seq);

CREATE TABLE tag_tickets (
    helpdesk_id TEXT NOT NULL,
    tag_name    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    ticket_id   TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (helpdesk_id, tag_name, created_at DESC, ticket_id DESC)
) WITHOUT ROWID;
CREATE INDEX tag_tickets_updated ON tag_tickets (helpdesk_id, tag_name, updated_at, seq);
CREATE INDEX tag_tickets_seq ON tag_tickets (seq);

INSERT INTO agent_tickets
SELECT t.helpdesk_id, a.agent_id, t.created_at, t.ticket_id, t.seq
FROM ticket_agents a JOIN tickets t ON t.seq = a.seq ORDER BY 1, 2, 3 DESC, 4 DESC;

INSERT INTO tag_tickets
SELECT t.helpdesk_id, g.tag_name, t.created_at, t.ticket_id, t.updated_at, t.seq
FROM ticket_tags g JOIN tickets t ON t.seq = g.seq ORDER BY 1, 2, 3 DESC, 4 DESC;

CREATE TRIGGER agent_tickets_add AFTER INSERT ON ticket_agents BEGIN
    INSERT OR REPLACE INTO agent_tickets
    SELECT helpdesk_id, NEW.agent_id, created_at, ticket_id, seq FROM tickets WHERE seq = NEW.seq;
END;

CREATE TRIGGER agent_tickets_remove AFTER DELETE ON ticket_agents BEGIN
    DELETE FROM agent_tickets WHERE seq = OLD.seq AND agent_id = OLD.agent_id;
END;

CREATE TRIGGER tag_tickets_add AFTER INSERT ON ticket_tags BEGIN
    INSERT OR REPLACE INTO tag_tickets
    SELECT helpdesk_id, NEW.tag_name, created_at, ticket_id, updated_at, seq
    FROM tickets WHERE seq = NEW.seq;
END;

CREATE TRIGGER tag_tickets_remove AFTER DELETE ON ticket_tags BEGIN
    DELETE FROM tag_tickets WHERE seq = OLD.seq AND tag_name = OLD.tag_name;
END;

CREATE TRIGGER link_order_follows AFTER UPDATE OF helpdesk_id, created_at, ticket_id, updated_at
ON tickets
WHEN NEW.helpdesk_id IS NOT OLD.helpdesk_id OR NEW.created_at IS NOT OLD.created_at
    OR NEW.ticket_id IS NOT OLD.ticket_id OR NEW.updated_at IS NOT OLD.updated_at
BEGIN
    UPDATE agent_tickets
    SET helpdesk_id = NEW.helpdesk_id, created_at = NEW.created_at, ticket_id = NEW.ticket_id
    WHERE seq = NEW.seq;
    UPDATE tag_tickets
    SET helpdesk_id = NEW.helpdesk_id, created_at = NEW.created_at, ticket_id = NEW.ticket_id,
        updated_at = NEW.updated_at
    WHERE seq = NEW.seq;
END;

CREATE TRIGGER link_order_drops AFTER DELETE ON tickets BEGIN
    DELETE FROM agent_tickets WHERE seq = OLD.seq;
    DELETE FROM tag_tickets WHERE seq = OLD.seq;
END;

-- larkdesk schema for PostgreSQL, version 20 (issue 13): the agent and tag filters read
-- their own tables in list order, as SQLite's do since its 0003, so that counting a busy
-- agent's tickets or paging through a tag reads one index range (no lookup of each ticket
-- in `tickets`, no sort). Statement-level triggers keep them in step with ticket_agents /
-- ticket_tags / tickets: writers (and `larkdesk migrate`'s COPY) write only those, and a
-- bulk statement costs one join, not a trigger call per row. `larkdesk migrate` does not
-- copy SQLite's agent_tickets / tag_tickets: these triggers rebuild them from the copy.

CREATE TABLE agent_tickets (
    helpdesk_id TEXT COLLATE "C" NOT NULL,
    agent_id    TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL,
    ticket_id   TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    PRIMARY KEY (seq, agent_id)
);
CREATE INDEX agent_tickets_order
    ON agent_tickets (helpdesk_id, agent_id, created_at DESC, ticket_id DESC) INCLUDE (seq);

CREATE TABLE tag_tickets (
    helpdesk_id TEXT COLLATE "C" NOT NULL,
    tag_name    TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL,
    ticket_id   TEXT COLLATE "C" NOT NULL,
    updated_at  BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    PRIMARY KEY (seq, tag_name)
);
CREATE INDEX tag_tickets_order
    ON tag_tickets (helpdesk_id, tag_name, created_at DESC, ticket_id DESC) INCLUDE (seq, updated_at);
CREATE INDEX tag_tickets_updated ON tag_tickets (helpdesk_id, tag_name, updated_at) INCLUDE (seq);

INSERT INTO agent_tickets (helpdesk_id, agent_id, created_at, ticket_id, seq)
SELECT t.helpdesk_id, a.agent_id, t.created_at, t.ticket_id, t.seq
FROM ticket_agents a JOIN tickets t ON t.seq = a.seq;

INSERT INTO tag_tickets (helpdesk_id, tag_name, created_at, ticket_id, updated_at, seq)
SELECT t.helpdesk_id, g.tag_name, t.created_at, t.ticket_id, t.updated_at, t.seq
FROM ticket_tags g JOIN tickets t ON t.seq = g.seq;

CREATE FUNCTION agent_tickets_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agent_tickets (helpdesk_id, agent_id, created_at, ticket_id, seq)
    SELECT t.helpdesk_id, n.agent_id, t.created_at, t.ticket_id, t.seq
    FROM added n JOIN tickets t ON t.seq = n.seq
    ON CONFLICT (seq, agent_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER agent_tickets_add AFTER INSERT ON ticket_agents
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION agent_tickets_add();

CREATE FUNCTION agent_tickets_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM agent_tickets a USING removed o WHERE a.seq = o.seq AND a.agent_id = o.agent_id;
    RETURN NULL;
END $$;
CREATE TRIGGER agent_tickets_remove AFTER DELETE ON ticket_agents
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION agent_tickets_remove();

CREATE FUNCTION tag_tickets_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tag_tickets (helpdesk_id, tag_name, created_at, ticket_id, updated_at, seq)
    SELECT t.helpdesk_id, n.tag_name, t.created_at, t.ticket_id, t.updated_at, t.seq
    FROM added n JOIN tickets t ON t.seq = n.seq
    ON CONFLICT (seq, tag_name) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER tag_tickets_add AFTER INSERT ON ticket_tags
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tag_tickets_add();

CREATE FUNCTION tag_tickets_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tag_tickets g USING removed o WHERE g.seq = o.seq AND g.tag_name = o.tag_name;
    RETURN NULL;
END $$;
CREATE TRIGGER tag_tickets_remove AFTER DELETE ON ticket_tags
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION tag_tickets_remove();

-- A ticket's order columns (or helpdesk) changed: its link rows follow. Most updates
-- change only updated_at (and status...), which tag_tickets keeps for its update window.
CREATE FUNCTION link_order_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE agent_tickets a
    SET helpdesk_id = n.helpdesk_id, created_at = n.created_at, ticket_id = n.ticket_id
    FROM changed n
    WHERE a.seq = n.seq
        AND (a.helpdesk_id, a.created_at, a.ticket_id)
            IS DISTINCT FROM (n.helpdesk_id, n.created_at, n.ticket_id);
    UPDATE tag_tickets g
    SET helpdesk_id = n.helpdesk_id, created_at = n.created_at, ticket_id = n.ticket_id,
        updated_at = n.updated_at
    FROM changed n
    WHERE g.seq = n.seq
        AND (g.helpdesk_id, g.created_at, g.ticket_id, g.updated_at)
            IS DISTINCT FROM (n.helpdesk_id, n.created_at, n.ticket_id, n.updated_at);
    RETURN NULL;
END $$;
CREATE TRIGGER link_order_follows AFTER UPDATE ON tickets
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION link_order_follows();

CREATE FUNCTION link_order_drops() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM agent_tickets a USING gone o WHERE a.seq = o.seq;
    DELETE FROM tag_tickets g USING gone o WHERE g.seq = o.seq;
    RETURN NULL;
END $$;
CREATE TRIGGER link_order_drops AFTER DELETE ON tickets
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION link_order_drops();

ANALYZE agent_tickets;
ANALYZE tag_tickets;

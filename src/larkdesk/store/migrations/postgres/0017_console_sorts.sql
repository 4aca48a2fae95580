-- larkdesk schema, version 17 (issue 11): the console's ticket list sorts by any of its
-- columns with keyset paging on (key, ticket_id), the key being the column with NULL read
-- as -2 (store/console_reads.py). One index per sort key, in that order, so a page walks
-- one index range from its cursor instead of sorting every match. created_at is served by
-- tickets_order already; the updated_at one replaces tickets_updated, its prefix (the list
-- API's update_time window uses it alike).
CREATE INDEX tickets_sort_updated ON tickets (helpdesk_id, updated_at, ticket_id) INCLUDE (seq);
DROP INDEX tickets_updated;
CREATE INDEX tickets_sort_status ON tickets (helpdesk_id, COALESCE(status, -2), ticket_id) INCLUDE (seq);
CREATE INDEX tickets_sort_score ON tickets (helpdesk_id, COALESCE(score, -2), ticket_id) INCLUDE (seq);
CREATE INDEX tickets_sort_channel ON tickets (helpdesk_id, COALESCE(channel, -2), ticket_id) INCLUDE (seq);
CREATE INDEX tickets_sort_type ON tickets (helpdesk_id, COALESCE(ticket_type, -2), ticket_id) INCLUDE (seq);
-- The same keys within one status (the open and closed views walk one status at a time,
-- however the other columns correlate with it: open tickets have no score).
CREATE INDEX tickets_status_updated ON tickets (helpdesk_id, status, updated_at, ticket_id) INCLUDE (seq);
CREATE INDEX tickets_status_score ON tickets (helpdesk_id, status, COALESCE(score, -2), ticket_id) INCLUDE (seq);
CREATE INDEX tickets_status_channel ON tickets (helpdesk_id, status, COALESCE(channel, -2), ticket_id) INCLUDE (seq);
CREATE INDEX tickets_status_type ON tickets (helpdesk_id, status, COALESCE(ticket_type, -2), ticket_id) INCLUDE (seq);

-- webhook_deliveries records the svix-id of every webhook delivery the
-- store applied (Store.ApplyOnce), written in the same transaction as the
-- delivery's changes: an id is here exactly when its changes are
-- committed. applied_at is the local clock in Unix milliseconds; ids older
-- than DeliveryRetention are pruned.
CREATE TABLE webhook_deliveries (
	svix_id    TEXT   NOT NULL PRIMARY KEY,
	applied_at BIGINT NOT NULL
);

CREATE INDEX webhook_deliveries_applied_at ON webhook_deliveries (applied_at);

-- The tables the sample maps; apply before running (the capture itself is installed by the connector).
CREATE SCHEMA IF NOT EXISTS shop;
CREATE TABLE IF NOT EXISTS shop.orders (
    "Id"           uuid PRIMARY KEY,
    "Customer"     text NOT NULL,
    "Total"        numeric(12, 2) NOT NULL,
    "Status"       text NOT NULL,
    "PlacedAt"     timestamptz NOT NULL DEFAULT now(),
    "PaymentToken" text
);
CREATE TABLE IF NOT EXISTS shop.stock (
    "Sku"        text PRIMARY KEY,
    "Quantity"   integer NOT NULL,
    "Warehouses" bigint[] NOT NULL DEFAULT '{}'
);

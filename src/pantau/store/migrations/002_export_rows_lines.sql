-- export_rows holds each exported line: which case is on which line of the file and the
-- SHA-256 of that line (the manifest's row_sha256). From manifest format 2 on,
-- exports.manifest keeps the manifest without its two per-row members (case_ids and
-- row_sha256): for 1,000,000 rows those are ~100 MB of JSON, which cost more to store as one
-- value than these columns. Rows of earlier exports keep line and row_sha256 empty (their
-- manifest in exports is whole).
--
-- No primary key any more: the only writer (`export.weekly`) inserts the rows of a newly
-- recorded export id, one per distinct case id, so the key never had anything to refuse,
-- while keeping its index up to date cost more than writing the rows.
CREATE TABLE export_rows_by_line (
    export_id   VARCHAR NOT NULL,
    case_id     VARCHAR NOT NULL,
    line        INTEGER,                      -- line of the file (1 is the header)
    row_sha256  VARCHAR                       -- SHA-256 of that line, without its CRLF
);
INSERT INTO export_rows_by_line SELECT export_id, case_id, NULL, NULL FROM export_rows;
DROP TABLE export_rows;
ALTER TABLE export_rows_by_line RENAME TO export_rows;

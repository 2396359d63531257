-- pantau schema, version 1. All *_at columns are TIMESTAMPTZ stored in UTC.
-- Natural keys everywhere so that writing the same thing twice is a no-op.

-- registry ---------------------------------------------------------------------------------
CREATE TABLE agencies (
    name        VARCHAR PRIMARY KEY,          -- instansi as written in the registry
    added_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE asn (
    nip         VARCHAR PRIMARY KEY,          -- 18 digits
    nama        VARCHAR NOT NULL,
    jabatan     VARCHAR,
    golongan    VARCHAR,
    instansi    VARCHAR,
    unit_kerja  VARCHAR,
    wilayah     VARCHAR,
    kind        VARCHAR NOT NULL,             -- PNS | PPPK
    birth_date  DATE,
    gender      TINYINT,
    extra       JSON,                         -- extra columns of the import, kept as given
    source_file VARCHAR,
    imported_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE accounts (
    platform    VARCHAR NOT NULL,
    handle      VARCHAR NOT NULL,             -- normalised (lower case, no leading @)
    nip         VARCHAR NOT NULL,
    url         VARCHAR,
    platform_id VARCHAR,                      -- filled in by collectors (DID, Mastodon id)
    added_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, handle)
);

-- elections and watchlists -----------------------------------------------------------------
CREATE TABLE elections (
    election_id VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    region      VARCHAR,
    timezone    VARCHAR NOT NULL,
    calendar    JSON NOT NULL,
    source_file VARCHAR,
    source_sha256 VARCHAR,
    source_text VARCHAR,                      -- the election file as loaded, for the record
    loaded_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE candidates (
    election_id VARCHAR NOT NULL,
    number      INTEGER NOT NULL,
    names       VARCHAR[] NOT NULL,
    aliases     VARCHAR[],
    parties     VARCHAR[],
    slogans     VARCHAR[],
    hashtags    VARCHAR[],
    PRIMARY KEY (election_id, number)
);

CREATE TABLE watch_accounts (
    election_id VARCHAR NOT NULL,
    platform    VARCHAR NOT NULL,
    handle      VARCHAR NOT NULL,
    role        VARCHAR NOT NULL,
    candidate   INTEGER,
    platform_id VARCHAR,
    PRIMARY KEY (election_id, platform, handle)
);

CREATE TABLE watch_phrases (
    election_id VARCHAR NOT NULL,
    phrase      VARCHAR NOT NULL,
    candidate   INTEGER,                      -- NULL: signals the election, no one candidate
    PRIMARY KEY (election_id, phrase)
);

-- collection -------------------------------------------------------------------------------
CREATE TABLE evidence (
    sha256      VARCHAR PRIMARY KEY,          -- of the raw (uncompressed) body
    platform    VARCHAR NOT NULL,
    url         VARCHAR NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    status      INTEGER NOT NULL,
    content_type VARCHAR,
    size        BIGINT NOT NULL,
    path        VARCHAR NOT NULL,             -- relative to PANTAU_HOME
    collector_version VARCHAR NOT NULL
);

-- No PRIMARY KEY on purpose: the busiest table. Store.upsert keeps activity_id unique (an
-- anti-join) and the key index made bulk writes about twice as slow (bench/bench_store.py).
CREATE TABLE activities (
    activity_id VARCHAR NOT NULL,             -- records.Activity.id, unique (see above)
    platform    VARCHAR NOT NULL,
    type        VARCHAR NOT NULL,             -- post | comment | share | quote | like | follow
    actor_id    VARCHAR,
    actor_handle VARCHAR,
    native_id   VARCHAR,
    target_id   VARCHAR,
    target_author_id VARCHAR,
    target_author_handle VARCHAR,
    text        VARCHAR,
    created_at  TIMESTAMPTZ,
    observed_at TIMESTAMPTZ NOT NULL,
    url         VARCHAR,
    reply_to    VARCHAR,
    forwarded_from VARCHAR,
    media_count INTEGER NOT NULL DEFAULT 0,
    media       JSON,                         -- list of {url, kind, width, height, sha256}
    metrics     JSON,
    evidence_id VARCHAR,                      -- evidence.sha256
    source      VARCHAR NOT NULL,             -- collector | import | public_report
    extra       JSON
);

CREATE TABLE collection_state (
    source      VARCHAR NOT NULL,             -- e.g. telegram:channel, bluesky:author_feed
    key         VARCHAR NOT NULL,             -- the account or post it covers
    cursor      VARCHAR,                      -- where to resume (opaque per source)
    last_seen_id VARCHAR,                     -- newest id already collected
    status      VARCHAR,                      -- ok | refused | hidden | error
    note        VARCHAR,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, key)
);

CREATE TABLE quarantine (
    quarantine_id VARCHAR PRIMARY KEY,        -- stable: evidence + item reference
    platform    VARCHAR,
    evidence_id VARCHAR,
    url         VARCHAR,
    item_ref    VARCHAR,                      -- which item of the response failed
    error       VARCHAR NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE collection_runs (
    run_id      VARCHAR PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    summary     JSON
);

-- classification ---------------------------------------------------------------------------
CREATE TABLE classifications (                -- one row per activity x election x model: "classified"
    activity_id VARCHAR NOT NULL,
    election_id VARCHAR NOT NULL,
    model_version VARCHAR NOT NULL,
    classified_at TIMESTAMPTZ NOT NULL,
    n_flags     INTEGER NOT NULL,
    PRIMARY KEY (activity_id, election_id, model_version)
);

CREATE TABLE flags (
    case_id     VARCHAR NOT NULL,             -- records.case_id_for(activity, election, rule, candidate)
    model_version VARCHAR NOT NULL,
    activity_id VARCHAR NOT NULL,
    election_id VARCHAR NOT NULL,
    rule        VARCHAR NOT NULL,
    stage       VARCHAR NOT NULL,
    candidate   INTEGER,
    confidence  DOUBLE NOT NULL,
    flagged     BOOLEAN NOT NULL,             -- entered the review queue
    reason_id   VARCHAR NOT NULL,
    reason_en   VARCHAR NOT NULL,
    signals     JSON,
    classified_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, model_version)
);

CREATE TABLE media_analyses (
    sha256      VARCHAR NOT NULL,             -- of the image
    analyzer_version VARCHAR NOT NULL,
    ocr_text    VARCHAR,
    ocr_confidence DOUBLE,                    -- Tesseract mean word confidence, 0-1
    width       INTEGER,
    height      INTEGER,
    hands       JSON,                         -- list of {fingers, pose, confidence}
    status      VARCHAR NOT NULL,             -- ok | quarantined
    error       VARCHAR,
    analyzed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sha256, analyzer_version)
);

-- review and export ------------------------------------------------------------------------
CREATE TABLE decisions (                      -- append-only audit chain
    seq         BIGINT PRIMARY KEY,           -- max(seq) + 1, taken in the deciding transaction
    case_id     VARCHAR NOT NULL,
    verdict     VARCHAR NOT NULL,             -- confirmed | dismissed | needs_more_info
    reviewer    VARCHAR NOT NULL,
    note        VARCHAR,
    decided_at  TIMESTAMPTZ NOT NULL,
    prev_hash   VARCHAR NOT NULL,
    hash        VARCHAR NOT NULL
);

CREATE TABLE exports (
    export_id   VARCHAR PRIMARY KEY,
    week        VARCHAR NOT NULL,             -- ISO week, e.g. 2024-W47
    recipient   VARCHAR NOT NULL,
    path        VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    row_count   INTEGER NOT NULL,
    manifest    JSON NOT NULL,
    created_by  VARCHAR,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE export_rows (
    export_id   VARCHAR NOT NULL,
    case_id     VARCHAR NOT NULL,
    PRIMARY KEY (export_id, case_id)
);

CREATE TABLE purge_log (
    purged_at   TIMESTAMPTZ NOT NULL,
    kind        VARCHAR NOT NULL,             -- activities | evidence | orphan_files
    count       BIGINT NOT NULL,
    hashes      JSON,                         -- ids / hashes purged, never content
    cutoff      TIMESTAMPTZ                   -- what was observed/requested before this went
);

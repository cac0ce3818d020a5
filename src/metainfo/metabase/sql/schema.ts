/**
 * The metabase schema, one text for SQLite and PostgreSQL/CockroachDB (only the byte type's name
 * differs). Buckets own objects, objects (one row per stream) own segments; foreign keys keep
 * that so, and deletes remove segments first.
 *
 * - objects: keyed by `stream_id`; listed through (project, bucket, key, version DESC, stream);
 *   a partial unique index gives each committed version of a key to exactly one stream (pending
 *   streams all have version 0); partial indexes find abandoned uploads and expired objects.
 * - segments: keyed by (stream_id, position) — never by object key, so a rename cannot hide one —
 *   with `position = part * 2^32 + index` and the piece list as one blob (pieces.ts); indexed
 *   by root piece id, which copies share.
 * - move operations and their keys: the partial state of a chunked move (docs/move.md).
 * - objects by creation time: garbage collection finds the copies made during its iteration,
 *   and the oldest upload in progress (docs/durability.md).
 */
export type SqlDialect = 'sqlite' | 'postgres';

/** Each entry moves the schema one version up; never edit one that has shipped, append instead. */
export function migrations(dialect: SqlDialect): readonly string[] {
  const bytes = dialect === 'sqlite' ? 'BLOB' : 'BYTEA';
  return [
    `
    CREATE TABLE metabase_buckets (
      project_id ${bytes} NOT NULL,
      name ${bytes} NOT NULL,
      created_at BIGINT NOT NULL,
      PRIMARY KEY (project_id, name)
    );
    CREATE TABLE metabase_objects (
      stream_id ${bytes} NOT NULL PRIMARY KEY,
      project_id ${bytes} NOT NULL,
      bucket_name ${bytes} NOT NULL,
      object_key ${bytes} NOT NULL,
      version BIGINT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'committed')),
      created_at BIGINT NOT NULL,
      committed_at BIGINT,
      expires_at BIGINT,
      upload_deadline BIGINT,
      segment_count BIGINT NOT NULL,
      total_plain_size BIGINT NOT NULL,
      total_encrypted_size BIGINT NOT NULL,
      rs_share_size BIGINT NOT NULL,
      rs_required BIGINT NOT NULL,
      rs_repair BIGINT NOT NULL,
      rs_success BIGINT NOT NULL,
      rs_total BIGINT NOT NULL,
      cipher_suite TEXT NOT NULL,
      block_size BIGINT NOT NULL,
      encrypted_metadata ${bytes},
      encrypted_metadata_nonce ${bytes},
      encrypted_metadata_key ${bytes},
      encrypted_metadata_key_nonce ${bytes},
      FOREIGN KEY (project_id, bucket_name) REFERENCES metabase_buckets (project_id, name)
    );
    CREATE UNIQUE INDEX metabase_objects_by_key ON metabase_objects (project_id, bucket_name, object_key, version DESC, stream_id);
    CREATE UNIQUE INDEX metabase_objects_committed_version ON metabase_objects (project_id, bucket_name, object_key, version)
      WHERE status = 'committed';
    CREATE INDEX metabase_objects_upload_deadline ON metabase_objects (upload_deadline, stream_id) WHERE status = 'pending';
    CREATE INDEX metabase_objects_expires_at ON metabase_objects (expires_at, stream_id)
      WHERE status = 'committed' AND expires_at IS NOT NULL;
    CREATE TABLE metabase_segments (
      stream_id ${bytes} NOT NULL REFERENCES metabase_objects (stream_id),
      position BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT,
      root_piece_id ${bytes} NOT NULL,
      encrypted_key ${bytes} NOT NULL,
      encrypted_key_nonce ${bytes} NOT NULL,
      encrypted_size BIGINT NOT NULL,
      plain_size BIGINT NOT NULL,
      plain_offset BIGINT NOT NULL,
      rs_share_size BIGINT,
      rs_required BIGINT,
      rs_repair BIGINT,
      rs_success BIGINT,
      rs_total BIGINT,
      pieces ${bytes} NOT NULL,
      inline_data ${bytes},
      PRIMARY KEY (stream_id, position)
    );
    `,
    // 2: server-side move and copy. Copies share pieces, so deletes ask "does another segment
    // still use this root piece id?" — an index answers it. A chunked move keeps its keys under
    // its operation until finish joins them into the segments; expired operations are deleted.
    `
    CREATE INDEX metabase_segments_root_piece_id ON metabase_segments (root_piece_id);
    CREATE TABLE metabase_move_operations (
      operation_id ${bytes} NOT NULL PRIMARY KEY,
      project_id ${bytes} NOT NULL,
      stream_id ${bytes} NOT NULL,
      segment_count BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      finished_stream_id ${bytes}
    );
    CREATE INDEX metabase_move_operations_expires_at ON metabase_move_operations (expires_at, operation_id);
    CREATE TABLE metabase_move_keys (
      operation_id ${bytes} NOT NULL,
      position BIGINT NOT NULL,
      encrypted_key ${bytes} NOT NULL,
      encrypted_key_nonce ${bytes} NOT NULL,
      PRIMARY KEY (operation_id, position)
    );
    `,
    // 3: garbage collection. After its pass over every segment it reads the streams created
    // since the pass began (copies made behind its cursor), and it never collects a piece
    // stored after the oldest upload still in progress began.
    `
    CREATE INDEX metabase_objects_created_at ON metabase_objects (created_at, stream_id);
    CREATE INDEX metabase_objects_pending_created_at ON metabase_objects (created_at) WHERE status = 'pending';
    `,
  ];
}

/**
 * What the console keeps at the core, in its own SQLite file beside the task store: each user's
 * notification setting, each task's history of states, and the email notifications the core
 * would send (sending mail is not part of handoff; the outbox is what a mailer would read).
 */
import type Database from 'better-sqlite3';
import { openSqliteFile } from '../../sql/sqlite.js';
import type { TaskState, UserId } from '../../transfer/types.js';
import { MAX_HISTORY_ENTRIES, type ConsoleSettings, type HistoryEntry } from './methods.js';

/** One email a mailer would send. */
export interface OutboxEntry {
  readonly user: UserId;
  readonly email: string;
  readonly taskId: number;
  readonly kind: 'interrupted' | 'succeeded';
  readonly text: string;
  readonly at: number;
}

export const DEFAULT_SETTINGS: ConsoleSettings = { emailNotifications: false, email: '' };

/** The console's records at the core (SQLite; `:memory:` for tests). */
export class ConsoleStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS console_settings (user TEXT PRIMARY KEY, email_notifications INTEGER NOT NULL, email TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS console_task_history (seq INTEGER PRIMARY KEY AUTOINCREMENT, task_id INTEGER NOT NULL, state TEXT NOT NULL, at INTEGER NOT NULL, reason TEXT);
      CREATE INDEX IF NOT EXISTS console_task_history_task ON console_task_history (task_id, seq);
      CREATE TABLE IF NOT EXISTS console_email_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, email TEXT NOT NULL, task_id INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL);
    `);
  }

  /** Opens (creating) the store at `path`. */
  static open(path: string): ConsoleStore {
    return new ConsoleStore(openSqliteFile(path));
  }

  settings(user: UserId): ConsoleSettings {
    const row = this.#db.prepare('SELECT email_notifications, email FROM console_settings WHERE user = ?').get(user) as { email_notifications: number; email: string } | undefined;
    return row ? { emailNotifications: row.email_notifications === 1, email: row.email } : DEFAULT_SETTINGS;
  }

  saveSettings(user: UserId, settings: ConsoleSettings): void {
    this.#db
      .prepare('INSERT INTO console_settings (user, email_notifications, email) VALUES (?, ?, ?) ON CONFLICT (user) DO UPDATE SET email_notifications = excluded.email_notifications, email = excluded.email')
      .run(user, settings.emailNotifications ? 1 : 0, settings.email);
  }

  appendHistory(taskId: number, state: TaskState, at: number, reason: string | null): void {
    this.#db.prepare('INSERT INTO console_task_history (task_id, state, at, reason) VALUES (?, ?, ?, ?)').run(taskId, state, at, reason);
  }

  /** The task's newest {@link MAX_HISTORY_ENTRIES} entries, oldest first. */
  history(taskId: number): HistoryEntry[] {
    const rows = this.#db
      .prepare('SELECT state, at, reason FROM (SELECT seq, state, at, reason FROM console_task_history WHERE task_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq')
      .all(taskId, MAX_HISTORY_ENTRIES) as HistoryEntry[];
    return rows;
  }

  enqueueEmail(entry: OutboxEntry): void {
    this.#db.prepare('INSERT INTO console_email_outbox (user, email, task_id, kind, text, at) VALUES (?, ?, ?, ?, ?, ?)').run(entry.user, entry.email, entry.taskId, entry.kind, entry.text, entry.at);
  }

  /** Every queued email, oldest first (what a mailer would send). */
  outbox(): OutboxEntry[] {
    return (this.#db.prepare('SELECT user, email, task_id, kind, text, at FROM console_email_outbox ORDER BY seq').all() as { user: string; email: string; task_id: number; kind: OutboxEntry['kind']; text: string; at: number }[]).map(
      (r) => ({ user: r.user, email: r.email, taskId: r.task_id, kind: r.kind, text: r.text, at: r.at }),
    );
  }

  close(): void {
    this.#db.close();
  }
}

/**
 * A drive and folder browser for the transfer dialog, over the core's `ListDrives` and
 * `ListFolder` (the drive's provider answers; the core checks the user's rights first). It starts
 * at the user's drives, opens folders on click, goes back by its breadcrumbs or "Up", and loads
 * further pages on request. In "sources" mode each file or folder has a checkbox; in
 * "destination" mode only folders are shown and the current folder is chosen with a button.
 * Everything is a native button or checkbox, so the keyboard works as everywhere.
 */
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DriveAccess, FolderEntry } from '../../transfer/core/ports.js';
import type { TransferClient } from '../../transfer/session/transfer-client.js';

/** Entries per page the browser asks for. */
export const BROWSER_PAGE = 200;

export interface FileBrowserProps {
  readonly client: TransferClient;
  /** The drives to offer (already narrowed to those the user may read, or edit). */
  readonly drives: readonly DriveAccess[];
  readonly mode: 'sources' | 'destination';
  /** Names this browser's controls (`Select work in …`), unique within the page. */
  readonly label: string;
  /** Sources mode: the ticked paths. */
  readonly selected?: readonly string[];
  readonly onToggle?: (path: string, on: boolean) => void;
  /** Destination mode: the chosen folder. */
  readonly chosen?: string | undefined;
  readonly onChoose?: (path: string) => void;
}

/** `size` in B, KiB, MiB or GiB. */
export function formatSize(size: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = size;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${n.toFixed(1)} ${units[unit]}`;
}

function childPath(folder: string, name: string): string {
  return `${folder}/${name}`;
}

/** The breadcrumb steps of `path`: `/1001/work` → [['1001', '/1001'], ['work', '/1001/work']]. */
export function crumbs(path: string): [string, string][] {
  const parts = path.split('/').filter((p) => p !== '');
  return parts.map((name, i) => [name, `/${parts.slice(0, i + 1).join('/')}`]);
}

export function FileBrowser(props: FileBrowserProps) {
  const { client, drives, mode, label } = props;
  const [location, setLocation] = useState<string | undefined>();
  // The entries shown belong to one folder; while another loads, none are shown.
  const [listing, setListing] = useState<{ folder: string; entries: FolderEntry[]; next: string | null } | undefined>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>();
  // The folder shown now: an answer for a folder the user already left is dropped.
  const current = useRef<string | undefined>();
  current.current = location;

  const load = async (path: string, cursor?: string) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await client.listFolder(path, { limit: BROWSER_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      if (current.current !== path) return;
      setListing((old) => ({
        folder: path,
        entries: cursor !== undefined && old?.folder === path ? [...old.entries, ...page.entries] : [...page.entries],
        next: page.nextCursor,
      }));
    } catch (err) {
      if (current.current !== path) return;
      setError(`${(err as Error).name}: ${(err as Error).message}`);
    } finally {
      if (current.current === path) setLoading(false);
    }
  };

  useEffect(() => {
    setListing(undefined);
    setError(undefined);
    if (location !== undefined) void load(location);
  }, [client, location]);

  const entries = listing !== undefined && listing.folder === location ? listing.entries : [];
  const next = listing !== undefined && listing.folder === location ? listing.next : null;
  const shown = mode === 'destination' ? entries.filter((e) => e.kind === 'folder') : entries;
  const selected = new Set(props.selected ?? []);
  const steps = location === undefined ? [] : crumbs(location);

  const breadcrumbs = h(
    'nav',
    { 'aria-label': `${label}: location`, class: 'crumbs' },
    h('ol', null,
      h('li', null, location === undefined ? h('span', { 'aria-current': 'location' }, 'Drives') : h('button', { type: 'button', onClick: () => setLocation(undefined) }, 'Drives')),
      ...steps.map(([name, path], i) =>
        h('li', { key: path }, i === steps.length - 1 ? h('span', { 'aria-current': 'location' }, name) : h('button', { type: 'button', onClick: () => setLocation(path) }, name)),
      ),
    ),
  );

  if (location === undefined) {
    return h(
      'div',
      { class: 'browser' },
      breadcrumbs,
      drives.length === 0
        ? h('p', null, mode === 'sources' ? 'You may read no drive.' : 'You may edit no drive.')
        : h(
            'ul',
            { 'aria-label': `${label}: drives`, class: 'entries' },
            ...drives.map((d) =>
              h('li', { key: d.drive }, h('button', { type: 'button', class: 'drive', onClick: () => setLocation(`/${d.drive}`) }, `Drive ${d.drive}`), ' ', h('span', { class: 'meta' }, `at provider ${d.provider}`)),
            ),
          ),
    );
  }

  const up = steps.length > 1 ? steps[steps.length - 2]![1] : undefined;
  return h(
    'div',
    { class: 'browser' },
    breadcrumbs,
    h(
      'div',
      { class: 'browser-actions' },
      h('button', { type: 'button', onClick: () => setLocation(up) }, 'Up'),
      mode === 'destination'
        ? h('button', { type: 'button', class: 'primary', onClick: () => props.onChoose?.(location), 'aria-pressed': props.chosen === location ? 'true' : 'false' }, 'Choose this folder')
        : null,
    ),
    error ? h('p', { role: 'alert', class: 'error' }, error) : null,
    listing?.folder !== location && !error ? h('p', { role: 'status' }, 'Loading…') : null,
    listing?.folder === location && shown.length === 0 ? h('p', null, mode === 'destination' ? 'No folders here.' : 'This folder is empty.') : null,
    shown.length > 0
      ? h(
          'ul',
          { 'aria-label': `${label}: contents of ${location}`, class: 'entries' },
          ...shown.map((entry) => {
            const path = childPath(location, entry.name);
            const name =
              entry.kind === 'folder'
                ? h('button', { type: 'button', class: 'folder', onClick: () => setLocation(path), 'aria-label': `Open folder ${entry.name}` }, entry.name)
                : h('span', { class: 'file' }, entry.name);
            return h(
              'li',
              { key: entry.name, 'data-path': path },
              mode === 'sources'
                ? h('input', { type: 'checkbox', checked: selected.has(path), 'aria-label': `Select ${entry.name}`, onChange: (e: Event) => props.onToggle?.(path, (e.currentTarget as HTMLInputElement).checked) })
                : null,
              ' ',
              name,
              ' ',
              h('span', { class: 'meta' }, entry.kind === 'folder' ? 'folder' : formatSize(entry.size)),
            );
          }),
        )
      : null,
    next !== null ? h('button', { type: 'button', disabled: loading, onClick: () => void load(location, next) }, 'Load more') : null,
  );
}

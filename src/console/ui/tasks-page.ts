/**
 * The Tasks page (seed 004): running tasks and finished ones from the core's recent window,
 * newest first, with a filter (state, provider, path, time range), live progress and the
 * controls the task's plugin allows. The list itself comes from the shell's poll.
 */
import { h, type ComponentChild } from 'preact';
import { useState } from 'preact/hooks';
import type { TaskState, TransferTask } from '../../transfer/types.js';
import type { HistoryEntry } from '../service/methods.js';
import { controlsFor, percent, when } from './format.js';

const STATES: readonly TaskState[] = ['INITIATED', 'RUNNING', 'PAUSED', 'SUCCESS', 'FAILURE', 'HALTED'];

/** The filter as the form holds it; empty strings mean "any". */
export interface TaskFilter {
  readonly state: string;
  readonly provider: string;
  readonly path: string;
  readonly from: string;
  readonly to: string;
}

export const NO_FILTER: TaskFilter = { state: '', provider: '', path: '', from: '', to: '' };

/** The core's browse options for `filter` (the path is matched in the page: the core has no path filter). */
export function browseOptionsFor(filter: TaskFilter): { states?: TaskState[]; provider?: string; since?: number; until?: number } {
  return {
    ...(filter.state ? { states: [filter.state as TaskState] } : {}),
    ...(filter.provider.trim() ? { provider: filter.provider.trim() } : {}),
    ...(filter.from ? { since: new Date(filter.from).getTime() } : {}),
    ...(filter.to ? { until: new Date(filter.to).getTime() } : {}),
  };
}

/** Tasks whose source or destination path contains the filter's path. */
export function matchesPath(task: TransferTask, path: string): boolean {
  const needle = path.trim();
  return needle === '' || task.sourcePath.includes(needle) || task.destinationPath.includes(needle);
}

export interface TasksPageProps {
  readonly tasks: readonly TransferTask[] | undefined;
  readonly filter: TaskFilter;
  readonly onFilter: (filter: TaskFilter) => void;
  readonly onControl: (task: TransferTask, control: 'pause' | 'resume' | 'cancel') => Promise<void>;
  /** The task's history of states, as the core recorded it. */
  readonly onHistory: (task: TransferTask) => Promise<HistoryEntry[]>;
}

function field(label: string, id: string, input: ComponentChild) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

function FilterForm({ filter, onFilter }: Pick<TasksPageProps, 'filter' | 'onFilter'>) {
  const [draft, setDraft] = useState(filter);
  const set = (key: keyof TaskFilter) => (event: Event) => setDraft({ ...draft, [key]: (event.currentTarget as HTMLInputElement).value });
  return h(
    'form',
    { class: 'filter', 'aria-label': 'Filter tasks', onSubmit: (event: Event) => (event.preventDefault(), onFilter(draft)) },
    field('State', 'filter-state', h('select', { id: 'filter-state', value: draft.state, onChange: set('state') }, h('option', { value: '' }, 'any'), ...STATES.map((s) => h('option', { value: s }, s)))),
    field('Provider', 'filter-provider', h('input', { id: 'filter-provider', value: draft.provider, onInput: set('provider') })),
    field('Path contains', 'filter-path', h('input', { id: 'filter-path', value: draft.path, onInput: set('path') })),
    field('Updated from', 'filter-from', h('input', { id: 'filter-from', type: 'datetime-local', value: draft.from, onInput: set('from') })),
    field('Updated before', 'filter-to', h('input', { id: 'filter-to', type: 'datetime-local', value: draft.to, onInput: set('to') })),
    h('button', { type: 'submit' }, 'Apply filter'),
    h('button', { type: 'button', onClick: () => (setDraft(NO_FILTER), onFilter(NO_FILTER)) }, 'Clear'),
  );
}

function TaskRow({ task, onControl, onHistory }: { task: TransferTask } & Pick<TasksPageProps, 'onControl' | 'onHistory'>) {
  const [busy, setBusy] = useState(false);
  const [history, setHistory] = useState<HistoryEntry[] | undefined>();
  const toggleHistory = async () => {
    if (history) return setHistory(undefined);
    try {
      setHistory(await onHistory(task));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const [error, setError] = useState<string | undefined>();
  const can = controlsFor(task);
  const act = (control: 'pause' | 'resume' | 'cancel') => async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onControl(task, control);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const button = (control: 'pause' | 'resume' | 'cancel', label: string) =>
    h('button', { type: 'button', disabled: busy, onClick: act(control), 'aria-label': `${label} task ${task.id}` }, label);
  const historyId = `history-${task.id}`;
  const row = h(
    'tr',
    { 'data-task': task.id, 'data-state': task.state },
    h('th', { scope: 'row' }, `#${task.id}`),
    h('td', null, `${task.sourceProvider}:${task.sourcePath}`),
    h('td', null, `${task.destinationProvider}:${task.destinationPath}`),
    h('td', { class: `state state-${task.state.toLowerCase()}` }, task.state, task.pausedByUser && task.state === 'PAUSED' ? ' (by you)' : ''),
    h(
      'td',
      null,
      h('progress', { max: 100, value: task.progress < 0 ? undefined : task.progress, 'aria-label': `Progress of task ${task.id}` }),
      ' ',
      h('span', { class: 'percent' }, percent(task)),
      task.status ? h('div', { class: 'status' }, task.status) : null,
      task.failureReason ? h('div', { class: 'reason' }, task.failureReason) : null,
    ),
    h('td', null, when(task.createdAt), h('br', null), h('small', null, `updated ${when(task.lastUpdate)}`)),
    h(
      'td',
      { class: 'controls' },
      can.pause ? button('pause', 'Pause') : null,
      can.resume ? button('resume', 'Resume') : null,
      can.cancel ? button('cancel', 'Cancel') : null,
      h('button', { type: 'button', 'aria-expanded': history !== undefined, 'aria-controls': historyId, onClick: () => void toggleHistory(), 'aria-label': `History of task ${task.id}` }, 'History'),
      error ? h('div', { role: 'alert' }, error) : null,
    ),
  );
  if (!history) return row;
  return [
    row,
    h(
      'tr',
      { id: historyId, class: 'history' },
      h(
        'td',
        { colSpan: 7 },
        h('ol', { 'aria-label': `States of task ${task.id}` }, ...history.map((e) => h('li', null, h('strong', null, e.state), ` at ${when(e.at)}`, e.reason ? ` — ${e.reason}` : ''))),
      ),
    ),
  ];
}

/** The Tasks page. */
export function TasksPage({ tasks, filter, onFilter, onControl, onHistory }: TasksPageProps) {
  const shown = tasks?.filter((t) => matchesPath(t, filter.path));
  return h(
    'section',
    { 'aria-labelledby': 'tasks-heading' },
    h('h1', { id: 'tasks-heading' }, 'Tasks'),
    h('p', null, 'Running tasks, and finished tasks from the last few days, newest first. Filter for older or specific tasks.'),
    h(FilterForm, { filter, onFilter }),
    shown === undefined
      ? h('p', { role: 'status' }, 'Loading tasks…')
      : shown.length === 0
        ? h('p', { role: 'status' }, 'No tasks match.')
        : h(
            'table',
            { class: 'tasks' },
            h('caption', null, `${shown.length} task(s)`),
            h('thead', null, h('tr', null, ...['Task', 'Source', 'Destination', 'State', 'Progress', 'Started', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', null, ...shown.map((task) => h(TaskRow, { key: task.id, task, onControl, onHistory }))),
          ),
  );
}

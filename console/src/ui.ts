import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { formatAge } from './freshness.js';
import { parseUtc } from './progress.js';

export { html };

export const GRAPH_STATUS: Record<string, { label: string; tone: Tone }> = {
  '200': { label: 'Running', tone: 'ok' },
  '900': { label: 'Stopped', tone: 'muted' },
  '901': { label: 'Stopping', tone: 'busy' },
  '903': { label: 'Backing up', tone: 'busy' },
  '920': { label: 'Starting', tone: 'busy' },
  '300': { label: 'Faulty', tone: 'bad' },
  '400': { label: 'Deleted', tone: 'muted' },
};

export const JOB_NAME: Record<string, string> = {
  BackupGraph: 'Backup',
  StartGraph: 'Start / restore',
  StopGraph: 'Stop',
  CreateGraph: 'Create',
  DeleteGraph: 'Delete',
  ExportBackup: 'Export',
  ImportBackup: 'Import',
};

export type Tone = 'ok' | 'bad' | 'warn' | 'busy' | 'muted';

export function Badge({ tone, children }: { tone: Tone; children: ComponentChildren }) {
  return html`<span class=${`badge badge-${tone}`}>${children}</span>`;
}

export function GraphStatusBadge({ status }: { status: string }) {
  const known = GRAPH_STATUS[status] ?? { label: `Status ${status}`, tone: 'muted' as Tone };
  return html`<${Badge} tone=${known.tone}>${known.label}<//>`;
}

export function jobTone(status: string): Tone {
  if (status === 'success') return 'ok';
  if (status === 'failed') return 'bad';
  if (status === 'running') return 'busy';
  return 'muted';
}

export const isActive = (status: string) =>
  status === 'running' || status === 'waiting' || status === 'pending';

export const number = (n: number | undefined) => (n === undefined ? '—' : n.toLocaleString('en-US'));

/** `2026-12-01 18:40 UTC` */
export function utc(time: string | number | undefined): string {
  const ms = typeof time === 'number' ? time : parseUtc(time);
  if (ms === undefined) return '—';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function ago(time: string | number | undefined, now: number): string {
  const ms = typeof time === 'number' ? time : parseUtc(time);
  return ms === undefined ? '—' : `${formatAge(Math.max(0, now - ms))} ago`;
}

/** A readable error, with its GES code. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const text =
    error instanceof ApiError ? error.readable : error instanceof Error ? error.message : String(error);
  return html`<div class="alert alert-bad" role="alert">
    ${title && html`<strong>${title}</strong> `}<span class="alert-text">${text}</span>
  </div>`;
}

/** A modal confirmation on <dialog>: focus stays inside, Escape cancels, focus returns where it was. */
export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onCancel: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    dialog?.showModal();
    dialog?.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      dialog?.close();
      opener?.focus();
    };
  }, []);
  const onCancelEvent = (event: Event) => {
    event.preventDefault();
    if (!props.busy) props.onCancel();
  };
  return html`<dialog ref=${ref} class="dialog" aria-labelledby="dialog-title" onCancel=${onCancelEvent}>
    <h2 id="dialog-title">${props.title}</h2>
    <div class="dialog-body">${props.children}</div>
    <${ErrorBox} error=${props.error} />
    <div class="dialog-actions">
      <button type="button" class="button" data-autofocus onClick=${props.onCancel} disabled=${props.busy}>Cancel</button>
      <button
        type="button"
        class=${props.danger ? 'button button-danger' : 'button button-primary'}
        onClick=${props.onConfirm}
        disabled=${props.busy}
      >
        ${props.busy ? 'Working…' : props.confirmLabel}
      </button>
    </div>
  </dialog>`;
}

/**
 * Loads now and again after `delay(data)` ms (fast while a job runs); a new `key` starts over. An
 * error stops nothing: the next tick tries again.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  key: string,
  delay: (data: T | undefined) => number,
  onError: (error: unknown) => void,
) {
  const [state, setState] = useState<{ data?: T; error?: unknown; key: string }>({ key });
  const tick = useRef<() => void>(() => {});
  const latest = useRef({ load, delay, onError });
  latest.current = { load, delay, onError };
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let data: T | undefined;
    const run = async () => {
      clearTimeout(timer);
      try {
        data = await latest.current.load();
        if (!stopped) setState({ data, key });
      } catch (error) {
        if (stopped) return;
        setState((s) => ({ ...s, error, key }));
        latest.current.onError(error);
      }
      if (!stopped) timer = setTimeout(run, latest.current.delay(data));
    };
    tick.current = () => void run();
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key]);
  const current = state.key === key ? state : { key };
  return { data: current.data, error: current.error, reload: () => tick.current() };
}

/** The time, ticking once a second, for ages that must not go stale on screen. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

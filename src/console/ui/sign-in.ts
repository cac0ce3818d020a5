/**
 * The sign-in shell both console pages share: load `config.json`, ask for an identity file (file
 * picker or pasted PEM), sign in with it, show what failed, and once signed in render the page.
 * The transfer console signs in to the core (`signIn`), the exit page to the node's admin
 * endpoint (`signInAsNode`); the key stays in the page's memory either way.
 */
import { h, type ComponentChild } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ConsoleConfig } from '../server.js';
import { loadConfig } from './connection.js';

/** What differs between the two pages' sign-in. */
export interface SignInText {
  readonly heading: string;
  readonly intro: string;
  /** The small print under the form: which party, at which address. */
  footer(config: ConsoleConfig): string;
}

interface SignInFormProps<S> {
  readonly config: ConsoleConfig;
  readonly text: SignInText;
  readonly signIn: (config: ConsoleConfig, pem: string) => Promise<S>;
  readonly onSignedIn: (session: S) => void;
}

function SignInForm<S>({ config, text, signIn, onSignedIn }: SignInFormProps<S>) {
  const [pem, setPem] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(config, pem));
    } catch (err) {
      setError(`${(err as Error).name}: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const load = async (event: Event) => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (file) setPem(await file.text());
  };
  return h(
    'main',
    { class: 'signin' },
    h('h1', null, text.heading),
    h('p', null, text.intro),
    h(
      'form',
      { onSubmit: submit, 'aria-label': 'Sign in' },
      h('div', { class: 'field' }, h('label', { for: 'identity-file' }, 'Identity file'), h('input', { id: 'identity-file', type: 'file', accept: '.pem,text/plain', onChange: load })),
      h('div', { class: 'field' }, h('label', { for: 'identity-text' }, 'Identity (PEM)'), h('textarea', { id: 'identity-text', rows: 8, value: pem, onInput: (e: Event) => setPem((e.currentTarget as HTMLTextAreaElement).value) })),
      h('button', { type: 'submit', disabled: busy || pem.trim() === '' }, 'Sign in'),
      error ? h('p', { role: 'alert', class: 'error' }, error) : null,
    ),
    h('p', null, h('small', null, text.footer(config))),
  );
}

export interface SignInShellProps<S> {
  readonly text: SignInText;
  readonly signIn: (config: ConsoleConfig, pem: string) => Promise<S>;
  /** The page once signed in. */
  readonly page: (session: S, config: ConsoleConfig) => ComponentChild;
}

/** Config, then the sign-in form, then the page. Reloading the page signs out. */
export function SignInShell<S>({ text, signIn, page }: SignInShellProps<S>) {
  const [config, setConfig] = useState<ConsoleConfig | undefined>();
  const [session, setSession] = useState<S | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    loadConfig().then(setConfig, (err: Error) => setError(err.message));
  }, []);
  if (error) return h('p', { role: 'alert', class: 'error' }, error);
  if (!config) return h('p', { role: 'status' }, 'Loading…');
  if (session === undefined) return h(SignInForm<S>, { config, text, signIn, onSignedIn: (s: S) => setSession(() => s) });
  return page(session, config);
}

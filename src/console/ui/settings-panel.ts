/**
 * The user's notification setting, stored by the core (`Console.SetSettings`): whether the core
 * should email them when a task is interrupted or succeeds, and where. Sending mail is not part
 * of handoff; the core queues what it would send.
 */
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ConsoleClient } from '../service/client.js';
import type { ConsoleSettings } from '../service/methods.js';

export function SettingsPanel({ console }: { console: ConsoleClient }) {
  const [settings, setSettings] = useState<ConsoleSettings | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  useEffect(() => {
    console.settings().then(setSettings, (err: Error) => setMessage(err.message));
  }, [console]);
  if (!settings) return h('section', { 'aria-label': 'Notification settings' }, h('p', { role: 'status' }, message ?? 'Loading settings…'));
  const save = async (event: Event) => {
    event.preventDefault();
    try {
      setSettings(await console.saveSettings(settings));
      setMessage('Saved.');
    } catch (err) {
      setMessage(`${(err as Error).name}: ${(err as Error).message}`);
    }
  };
  return h(
    'section',
    { 'aria-labelledby': 'settings-heading', class: 'settings' },
    h('h2', { id: 'settings-heading' }, 'Notification settings'),
    h(
      'form',
      { onSubmit: save },
      h(
        'div',
        { class: 'confirm' },
        h('input', { id: 'email-notifications', type: 'checkbox', checked: settings.emailNotifications, onChange: (e: Event) => setSettings({ ...settings, emailNotifications: (e.currentTarget as HTMLInputElement).checked }) }),
        h('label', { for: 'email-notifications' }, 'Email me when a task is interrupted or succeeds'),
      ),
      h('div', { class: 'field' }, h('label', { for: 'email-address' }, 'Email address'), h('input', { id: 'email-address', type: 'email', maxLength: 254, value: settings.email, onInput: (e: Event) => setSettings({ ...settings, email: (e.currentTarget as HTMLInputElement).value }) })),
      h('button', { type: 'submit' }, 'Save settings'),
      message ? h('p', { role: 'status' }, message) : null,
    ),
  );
}

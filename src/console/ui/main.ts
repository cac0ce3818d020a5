/** The console page's entry: renders {@link App} into `#app`. */
import { h, render } from 'preact';
import { App } from './app.js';

render(h(App, null), document.getElementById('app')!);

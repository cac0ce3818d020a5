/** The node operator's exit page entry (node.html): renders {@link ExitApp} into `#app`. */
import { h, render } from 'preact';
import { ExitApp } from './exit-app.js';

render(h(ExitApp, null), document.getElementById('app')!);

/** Entry of the web UI bundle: mounts the app on #app. */
import { render } from 'preact';
import { App } from './app.tsx';
import { readServerConfig } from './server-config.ts';

const root = document.getElementById('app');
if (root) render(<App config={readServerConfig()} />, root);

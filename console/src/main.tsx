import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { loadConfig } from './api/config';
import { App } from './app/App';
import './app/styles.css';

// The server rewrites <base href> to wherever it mounts the console; routes live below it.
const basename = new URL(document.baseURI).pathname.replace(/\/$/, '');

void loadConfig().then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <BrowserRouter basename={basename}>
        <App />
      </BrowserRouter>
    </StrictMode>,
  ),
);

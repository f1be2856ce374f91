/**
 * The dashboard's entry: a hash router (#/jobs/<id>, as Flink's UI uses, so the REST server serves
 * index.html at / only and its API paths never collide with pages) and the frame around pages.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { TokenPrompt } from './components/token-prompt.js';
import { JobPage } from './pages/job-page.js';
import { JobsPage } from './pages/jobs-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { TaskManagerPage, TaskManagersPage } from './pages/taskmanager-page.js';
import './style.css';

type Route = { page: 'overview' } | { page: 'jobs' } | { page: 'job'; jobId: string } | { page: 'taskmanagers' } | { page: 'taskmanager'; id: string } | { page: 'unknown'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/';
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'overview')) return { page: 'overview' };
  if (parts[0] === 'jobs' && parts.length === 1) return { page: 'jobs' };
  if (parts[0] === 'jobs' && parts.length === 2) return { page: 'job', jobId: parts[1]! };
  if (parts[0] === 'taskmanagers' && parts.length === 1) return { page: 'taskmanagers' };
  if (parts[0] === 'taskmanagers' && parts.length === 2) return { page: 'taskmanager', id: parts[1]! };
  return { page: 'unknown', path };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

function App() {
  const route = useRoute();
  const nav = (href: string, label: string, active: boolean) => (
    <a href={href} class={active ? 'active' : ''}>
      {label}
    </a>
  );
  return (
    <div class="app">
      <header class="topbar">
        <a class="brand" href="#/">
          Eddy
        </a>
        <nav>
          {nav('#/', 'Overview', route.page === 'overview')}
          {nav('#/jobs', 'Jobs', route.page === 'jobs' || route.page === 'job')}
          {nav('#/taskmanagers', 'TaskManagers', route.page === 'taskmanagers' || route.page === 'taskmanager')}
        </nav>
      </header>
      <main>
        <TokenPrompt />
        {route.page === 'overview' && <OverviewPage />}
        {route.page === 'jobs' && <JobsPage />}
        {route.page === 'job' && <JobPage jobId={route.jobId} key={route.jobId} />}
        {route.page === 'taskmanagers' && <TaskManagersPage />}
        {route.page === 'taskmanager' && <TaskManagerPage id={route.id} key={route.id} />}
        {route.page === 'unknown' && <p class="error-note">No page at {route.path}. Start from the overview.</p>}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);

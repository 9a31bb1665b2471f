import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import './i18n';
import './base.css';
import { Home } from './Home';

const Terminal = lazy(() => import('./terminal/Terminal'));
const Customer = lazy(() => import('./customer/Customer'));

function App() {
  const path = window.location.pathname;
  if (path === '/terminal' || path.startsWith('/terminal/')) return <Terminal />;
  if (path === '/refund' || path.startsWith('/refund/')) return <Customer />;
  return <Home />;
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <Suspense fallback={null}>
      <App />
    </Suspense>
  </StrictMode>,
);

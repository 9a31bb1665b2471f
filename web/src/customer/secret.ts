/**
 * The customer's proof (a refund's tracking secret, a payment dispute's access secret) arrives in a
 * link's fragment (#…), which browsers never send to a server. Once read it leaves the address bar
 * (and the history); the tab keeps it in sessionStorage (a reload keeps working), never in
 * localStorage or a URL.
 */
const storageKey = (id: string) => `refunddesk.track.${id}`;

/** The secret of `id`: from the link's fragment (then removed from the address), else this tab's. */
export function initialSecret(id: string): string {
  let fromLink = '';
  try {
    fromLink = decodeURIComponent(window.location.hash.slice(1));
  } catch {
    fromLink = '';
  }
  if (fromLink) {
    keepSecret(id, fromLink);
    window.history.replaceState(null, '', window.location.pathname);
    return fromLink;
  }
  return sessionStorage.getItem(storageKey(id)) ?? '';
}

/** Keeps a typed secret for this tab. */
export function keepSecret(id: string, secret: string): void {
  sessionStorage.setItem(storageKey(id), secret);
}

/** The server's link (PUBLIC_BASE_URL…), followed on this same site: path, language, fragment. */
export function sameSiteLink(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}${u.hash}`;
}

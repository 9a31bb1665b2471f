import { currentLanguage, setLanguage } from '../i18n';
import { LanguageSwitch } from '../LanguageSwitch';
import { DisputePage } from './DisputePage';
import { OpenPaymentDispute } from './OpenPaymentDispute';
import { RequestRefund } from './RequestRefund';
import { TrackRefund } from './TrackRefund';
import './customer.css';

/** A link from a message says which language the customer chose (`?lang=en`): the page speaks it. */
const linkLanguage = new URLSearchParams(window.location.search).get('lang');
if ((linkLanguage === 'en' || linkLanguage === 'zh-CN') && linkLanguage !== currentLanguage()) {
  void setLanguage(linkLanguage);
}

/** The page for the path: a refund's tracking, a dispute's page, opening a payment dispute, or the request. */
function Page({ path }: { path: string }) {
  const track = /^\/refund\/track\/(re_[0-9A-Za-z]+)\/?$/.exec(path);
  if (track) return <TrackRefund id={track[1]} />;
  const dispute = /^\/refund\/dispute\/(dp_[0-9A-Za-z]+)\/?$/.exec(path);
  if (dispute) return <DisputePage id={dispute[1]} />;
  if (/^\/refund\/dispute\/?$/.test(path)) return <OpenPaymentDispute />;
  return <RequestRefund />;
}

export default function Customer() {
  return (
    <div className="customer">
      <div className="customer-bar">
        <LanguageSwitch />
      </div>
      <Page path={window.location.pathname} />
    </div>
  );
}

import { currentLanguage, setLanguage } from '../i18n';
import { LanguageSwitch } from '../LanguageSwitch';
import { RequestRefund } from './RequestRefund';
import { TrackRefund } from './TrackRefund';
import './customer.css';

/** A link from a message says which language the customer chose (`?lang=en`): the page speaks it. */
const linkLanguage = new URLSearchParams(window.location.search).get('lang');
if ((linkLanguage === 'en' || linkLanguage === 'zh-CN') && linkLanguage !== currentLanguage()) {
  void setLanguage(linkLanguage);
}

export default function Customer() {
  const m = /^\/refund\/track\/(re_[0-9A-Za-z]+)\/?$/.exec(window.location.pathname);
  return (
    <div className="customer">
      <div className="customer-bar">
        <LanguageSwitch />
      </div>
      {m ? <TrackRefund id={m[1]} /> : <RequestRefund />}
    </div>
  );
}

import { LanguageSwitch } from '../LanguageSwitch';
import { RequestRefund } from './RequestRefund';
import { TrackRefund } from './TrackRefund';
import './customer.css';

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

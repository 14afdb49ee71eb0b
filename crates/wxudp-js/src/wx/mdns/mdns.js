// Part of the prelude (wx/mod.rs assembles it): mDNS discovery over N.mdnsStart (wx/mdns/mod.rs): one search at a time, its services to the onLocalService* listeners, stopped by stopLocalServiceDiscovery or by itself after 30 s.
const serviceFound = listenerList();
const serviceLost = listenerList();
const serviceResolveFail = listenerList();
const discoveryStop = listenerList();
let discovering = false;
wx.startLocalServiceDiscovery = asyncApi('startLocalServiceDiscovery', function (o) {
  if (typeof o.serviceType !== 'string' || o.serviceType === '') {
    throw { errMsg: 'startLocalServiceDiscovery:fail invalid param' };
  }
  if (discovering) throw { errMsg: 'startLocalServiceDiscovery:fail scan task already exist' };
  N.mdnsStart(o.serviceType, function (event) {
    if (event.type === 'found') {
      serviceFound.emit({ serviceType: event.serviceType, serviceName: event.serviceName, ip: event.ip, port: event.port });
    } else if (event.type === 'lost') {
      serviceLost.emit({ serviceType: event.serviceType, serviceName: event.serviceName });
    } else {
      discovering = false;
      N.mdnsEnded();
      discoveryStop.emit({ errMsg: 'onLocalServiceDiscoveryStop:ok' });
    }
  });
  discovering = true;
  return {};
});
wx.stopLocalServiceDiscovery = asyncApi('stopLocalServiceDiscovery', function () {
  if (!discovering || !N.mdnsStop()) throw { errMsg: 'stopLocalServiceDiscovery:fail task not found' };
  return {};
});
[['LocalServiceFound', serviceFound], ['LocalServiceLost', serviceLost],
  ['LocalServiceResolveFail', serviceResolveFail], ['LocalServiceDiscoveryStop', discoveryStop]].forEach(function (e) {
  wx['on' + e[0]] = e[1].on;
  wx['off' + e[0]] = e[1].off;
  canIUseTable['on' + e[0]] = '2.4.0';
  canIUseTable['off' + e[0]] = '2.4.0';
});
canIUseTable.startLocalServiceDiscovery = '2.4.0';
canIUseTable.stopLocalServiceDiscovery = '2.4.0';

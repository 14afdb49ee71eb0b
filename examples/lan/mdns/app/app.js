// Provisioning by mDNS: examples/lan/mdns/lan.toml runs this mini program as the phone.
App({});

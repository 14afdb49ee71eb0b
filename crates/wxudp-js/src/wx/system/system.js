// Part of the prelude (wx/mod.rs assembles it): what wx reports about the device and its network, and the app's show/hide and network listeners.
wx.getLocalIPAddress = asyncApi('getLocalIPAddress', function () {
  const ip = N.localIPAddress();
  if (!ip) throw new Error('no local network address');
  return ip;
});

// The device of --platform (platform.rs): an Android phone unless told otherwise.
const SYSTEM_INFO = N.systemInfoJson;
function pick(keys) {
  return function () {
    const all = JSON.parse(SYSTEM_INFO);
    const out = {};
    keys.forEach(function (k) { if (k in all) out[k] = all[k]; });
    return out;
  };
}
function systemInfo() { return JSON.parse(SYSTEM_INFO); }
wx.getSystemInfoSync = systemInfo;
wx.getSystemInfo = asyncApi('getSystemInfo', systemInfo);
wx.getDeviceInfo = pick(['abi', 'deviceAbi', 'benchmarkLevel', 'brand', 'model', 'system', 'platform', 'cpuType', 'memorySize']);
wx.getWindowInfo = pick(['pixelRatio', 'screenWidth', 'screenHeight', 'windowWidth', 'windowHeight', 'statusBarHeight', 'safeArea', 'screenTop']);
wx.getAppBaseInfo = pick(['SDKVersion', 'enableDebug', 'host', 'language', 'version', 'theme', 'fontSizeSetting', 'fontSizeScaleFactor']);
wx.getSystemSetting = pick(['bluetoothEnabled', 'locationEnabled', 'wifiEnabled', 'deviceOrientation']);
wx.getAppAuthorizeSetting = function () {
  return {
    albumAuthorized: 'authorized', bluetoothAuthorized: 'authorized', cameraAuthorized: 'authorized',
    locationAuthorized: 'authorized', microphoneAuthorized: 'authorized', notificationAuthorized: 'authorized',
  };
};
wx.getNetworkType = asyncApi('getNetworkType', function () {
  return { networkType: N.networkType(), signalStrength: 0, hasSystemProxy: false };
});

const appShow = listenerList();
const appHide = listenerList();
const networkStatus = listenerList();
wx.onAppShow = appShow.on;
wx.offAppShow = appShow.off;
wx.onAppHide = appHide.on;
wx.offAppHide = appHide.off;
wx.onNetworkStatusChange = networkStatus.on;
wx.offNetworkStatusChange = networkStatus.off;

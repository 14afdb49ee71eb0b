exports.makeSocket = function () {
  return wx.createUDPSocket();
};

// Where the pages would keep their logs: under the user data folder (wx.env).
module.exports = {
  logPath: function (name) {
    return wx.env.USER_DATA_PATH + '/' + name + '.log';
  },
};

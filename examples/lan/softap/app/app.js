App({
  globalData: { lamp: null },
});

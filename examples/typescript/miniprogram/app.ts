// A TypeScript mini program (the devtools' TypeScript template): extensionless imports
// of .ts files, an npm package built into miniprogram_npm/, an alias from app.json's
// resolveAlias and a component. Run it with:
//
//   wxudp run examples/typescript
//
App<IAppOption>({
  globalData: {
    scans: 0,
  },
  onLaunch() {
    console.log('lamp scanner on', wx.getSystemInfoSync().platform);
  },
});

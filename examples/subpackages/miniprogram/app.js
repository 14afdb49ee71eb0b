// A project as the official demo lays it out: the mini program in miniprogram/
// (project.config.json's miniprogramRoot), a main package and a subpackage
// (packageDevice) whose code the index page loads on demand with require.async.
//
//   wxudp run examples/subpackages
//
// The app-service layer's `global` is shared by every module (the demo sets isDemo).
global.isDemo = true;

App({
  globalData: {
    lampPort: 0,
  },
});

// The app's own types (the template keeps them in typings/).
interface IAppOption {
  globalData: {
    scans: number;
  };
}

//! The device a run pretends to be (`--platform`): what `wx.getSystemInfoSync()`,
//! `wx.getDeviceInfo()`, `wx.getWindowInfo()` and `wx.getAppBaseInfo()` report. A
//! headless runtime stands in for a phone, so the default is an Android phone; every
//! field is plausible for the platform and consistent with the others (the window
//! inside the screen, below the status bar and the navigation bar).

use std::fmt;
use std::str::FromStr;

use serde_json::{json, Value};

/// The platform `wx.getSystemInfoSync().platform` reports.
///
/// # Examples
/// ```
/// use wxudp_js::Platform;
/// assert_eq!(Platform::default(), Platform::Android);
/// assert_eq!("ios".parse::<Platform>().unwrap(), Platform::Ios);
/// assert_eq!(Platform::Ohos.to_string(), "ohos");
/// assert!("symbian".parse::<Platform>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Platform {
    /// An Android phone (the default).
    #[default]
    Android,
    /// An iPhone.
    Ios,
    /// A HarmonyOS NEXT phone (`ohos`).
    Ohos,
    /// WeChat for Windows.
    Windows,
    /// WeChat for Mac.
    Mac,
    /// WeChat's developer tools.
    Devtools,
}

impl Platform {
    /// Every platform, in the order `--help` lists them.
    pub const ALL: [Platform; 6] = [
        Platform::Android,
        Platform::Ios,
        Platform::Ohos,
        Platform::Windows,
        Platform::Mac,
        Platform::Devtools,
    ];

    /// The name WeChat reports in `platform`.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Ohos => "ohos",
            Platform::Windows => "windows",
            Platform::Mac => "mac",
            Platform::Devtools => "devtools",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a platform; one of: {}",
                    Platform::ALL.map(Platform::name).join(", ")
                )
            })
    }
}

/// One device's facts.
struct Device {
    brand: &'static str,
    model: &'static str,
    system: &'static str,
    /// WeChat's own version on that platform.
    version: &'static str,
    pixel_ratio: f64,
    screen: (u32, u32),
    status_bar: u32,
    /// The navigation bar above a page (0 where the window has none).
    navigation_bar: u32,
    /// Bottom inset of the safe area (a home indicator).
    bottom_inset: u32,
    benchmark_level: i32,
    memory_size: u32,
    abi: &'static str,
}

fn device(platform: Platform) -> Device {
    match platform {
        Platform::Android => Device {
            brand: "Xiaomi",
            model: "23127PN0CC",
            system: "Android 14",
            version: "8.0.54",
            pixel_ratio: 2.75,
            screen: (393, 873),
            status_bar: 36,
            navigation_bar: 48,
            bottom_inset: 0,
            benchmark_level: 30,
            memory_size: 15_731,
            abi: "arm64-v8a",
        },
        Platform::Ios => Device {
            brand: "iPhone",
            model: "iPhone 15 Pro<iPhone16,1>",
            system: "iOS 17.5.1",
            version: "8.0.54",
            pixel_ratio: 3.0,
            screen: (393, 852),
            status_bar: 59,
            navigation_bar: 44,
            bottom_inset: 34,
            benchmark_level: -1,
            memory_size: 7_672,
            abi: "",
        },
        Platform::Ohos => Device {
            brand: "HUAWEI",
            model: "ALN-AL00",
            system: "HarmonyOS 5.0.0",
            version: "8.0.11",
            pixel_ratio: 3.5,
            screen: (360, 780),
            status_bar: 38,
            navigation_bar: 48,
            bottom_inset: 28,
            benchmark_level: -1,
            memory_size: 11_695,
            abi: "arm64-v8a",
        },
        Platform::Windows => Device {
            brand: "microsoft",
            model: "microsoft",
            system: "Windows 11 x64",
            version: "3.9.12",
            pixel_ratio: 1.0,
            screen: (414, 736),
            status_bar: 0,
            navigation_bar: 0,
            bottom_inset: 0,
            benchmark_level: -1,
            memory_size: 16_240,
            abi: "",
        },
        Platform::Mac => Device {
            brand: "apple",
            model: "MacBookPro18,3",
            system: "macOS 14.5",
            version: "3.8.8",
            pixel_ratio: 2.0,
            screen: (414, 736),
            status_bar: 0,
            navigation_bar: 0,
            bottom_inset: 0,
            benchmark_level: -1,
            memory_size: 16_384,
            abi: "",
        },
        Platform::Devtools => Device {
            brand: "devtools",
            model: "iPhone 6/7/8",
            system: "iOS 10.0.1",
            version: "8.0.5",
            pixel_ratio: 2.0,
            screen: (375, 667),
            status_bar: 20,
            navigation_bar: 44,
            bottom_inset: 0,
            benchmark_level: 1,
            memory_size: 2_048,
            abi: "",
        },
    }
}

/// `wx.getSystemInfoSync()`'s object for `platform` and base library `sdk`: the union
/// of what `getDeviceInfo`, `getWindowInfo` and `getAppBaseInfo` return, plus the
/// settings fields.
pub(crate) fn system_info(platform: Platform, sdk: &str) -> Value {
    let d = device(platform);
    let (width, height) = d.screen;
    let window_top = d.status_bar + d.navigation_bar;
    let window_height = height - window_top;
    let safe_bottom = height - d.bottom_inset;
    json!({
        "SDKVersion": sdk,
        "version": d.version,
        "platform": platform.name(),
        "system": d.system,
        "brand": d.brand,
        "model": d.model,
        "abi": d.abi,
        "deviceAbi": d.abi,
        "cpuType": "",
        "memorySize": d.memory_size,
        "benchmarkLevel": d.benchmark_level,
        "language": "zh_CN",
        "fontSizeSetting": 16,
        "fontSizeScaleFactor": 1,
        "pixelRatio": d.pixel_ratio,
        "screenWidth": width,
        "screenHeight": height,
        "windowWidth": width,
        "windowHeight": window_height,
        "screenTop": window_top,
        "statusBarHeight": d.status_bar,
        "safeArea": {
            "left": 0, "right": width, "top": d.status_bar, "bottom": safe_bottom,
            "width": width, "height": safe_bottom - d.status_bar,
        },
        "deviceOrientation": "portrait",
        "theme": "light",
        "enableDebug": false,
        "host": { "appId": "", "env": "WeChat" },
        "wifiEnabled": true,
        "locationEnabled": true,
        "bluetoothEnabled": true,
        "cameraAuthorized": true,
        "locationAuthorized": true,
        "microphoneAuthorized": true,
        "notificationAuthorized": true,
        "albumAuthorized": true,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_platform_is_consistent() {
        for p in Platform::ALL {
            let info = system_info(p, "3.0.0");
            assert_eq!(info["platform"], p.name());
            assert_eq!(p.name().parse::<Platform>().unwrap(), p);
            let n = |k: &str| info[k].as_f64().unwrap();
            assert!(
                n("windowHeight") + n("screenTop") <= n("screenHeight"),
                "{p}"
            );
            assert_eq!(n("windowWidth"), n("screenWidth"));
            assert!(info["safeArea"]["bottom"].as_f64().unwrap() <= n("screenHeight"));
            let system = info["system"].as_str().unwrap().to_ascii_lowercase();
            let family = match p {
                Platform::Android => "android",
                Platform::Ios | Platform::Devtools => "ios",
                Platform::Ohos => "harmonyos",
                Platform::Windows => "windows",
                Platform::Mac => "macos",
            };
            assert!(system.starts_with(family), "{p}: {system}");
        }
        assert!("IOS".parse::<Platform>().is_ok());
        assert!(""
            .parse::<Platform>()
            .unwrap_err()
            .contains("android, ios, ohos, windows, mac, devtools"));
    }
}

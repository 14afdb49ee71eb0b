#![allow(clippy::unwrap_used)]

use super::*;

struct Fixture {
    files: Files,
    _top: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let top = tempfile::tempdir().unwrap();
    let pkg = top.path().join("pkg");
    std::fs::create_dir_all(pkg.join("config")).unwrap();
    std::fs::write(pkg.join("config/device.json"), "{\"id\":1}").unwrap();
    let files = Files::new(Some(&top.path().join("usr")), &pkg).unwrap();
    Fixture { files, _top: top }
}

fn reason(r: Result<Output, FsError>) -> (String, i32) {
    let e = r.unwrap_err();
    (e.reason, e.errno)
}

#[test]
fn write_read_append_in_every_encoding() {
    let fx = fixture();
    let f = &fx.files;
    let text = |s: &str| Data::Text(s.to_string(), None);
    f.write_file("wxfile://usr/a.txt", text("héllo"), false)
        .unwrap();
    assert_eq!(
        f.read_file("wxfile://usr/a.txt", Some("utf8"), None, None)
            .unwrap(),
        Output::Text("héllo".into())
    );
    assert_eq!(
        f.read_file("wxfile://usr/a.txt", None, Some(1), Some(2))
            .unwrap(),
        Output::Bytes("é".as_bytes().to_vec())
    );
    f.write_file("wxfile://usr/a.txt", text(" world"), true)
        .unwrap();
    assert_eq!(
        f.read_file("wxfile://usr/a.txt", Some("hex"), None, Some(1))
            .unwrap(),
        Output::Text("68".into())
    );
    f.write_file(
        "wxfile://usr/b.bin",
        Data::Text("AAEC".into(), Some("base64".into())),
        false,
    )
    .unwrap();
    assert_eq!(
        f.read_file("wxfile://usr/b.bin", None, None, None).unwrap(),
        Output::Bytes(vec![0, 1, 2])
    );
    assert_eq!(
        reason(f.write_file(
            "wxfile://usr/c",
            Data::Text("data:x".into(), Some("base64".into())),
            false
        )),
        ("base64 encode error".into(), 1300203)
    );
    assert_eq!(
        reason(f.read_file("wxfile://usr/a.txt", Some("gbk"), None, None)),
        ("invalid encoding gbk".into(), 1300022)
    );
    assert_eq!(
        reason(f.read_file("wxfile://usr/a.txt", None, Some(50), None)).1,
        1300022
    );
}

#[test]
fn failures_read_as_wechat_s() {
    let fx = fixture();
    let f = &fx.files;
    assert_eq!(
        reason(f.read_file("wxfile://usr/none.txt", Some("utf8"), None, None)),
        (
            "no such file or directory, open wxfile://usr/none.txt".into(),
            1300002
        )
    );
    assert_eq!(
        reason(f.write_file("wxfile://usr/none.txt", Data::Bytes(vec![1]), true)),
        (
            "no such file or directory, open wxfile://usr/none.txt".into(),
            1300002
        )
    );
    assert_eq!(
        reason(f.write_file("wxfile://usr/no/dir.txt", Data::Bytes(vec![1]), false)),
        (
            "no such file or directory, open wxfile://usr/no/dir.txt".into(),
            1300002
        )
    );
    assert_eq!(
        reason(f.access("wxfile://usr/x")),
        ("no such file or directory wxfile://usr/x".into(), 1300002)
    );
    f.mkdir("wxfile://usr/logs", false).unwrap();
    assert_eq!(
        reason(f.mkdir("wxfile://usr/logs", false)),
        ("file already exists wxfile://usr/logs".into(), 1301005)
    );
    f.mkdir("wxfile://usr/logs", true).unwrap();
    assert_eq!(
        reason(f.mkdir("wxfile://usr/a/b/c", false)),
        (
            "no such file or directory wxfile://usr/a/b/c".into(),
            1300002
        )
    );
    f.mkdir("wxfile://usr/a/b/c", true).unwrap();
    f.write_file("wxfile://usr/logs/1.log", Data::Bytes(vec![1]), false)
        .unwrap();
    assert_eq!(
        reason(f.rmdir("wxfile://usr/logs", false)),
        ("directory not empty".into(), 1300066)
    );
    assert_eq!(
        reason(f.unlink("wxfile://usr/logs")),
        (
            "operation not permitted, unlink wxfile://usr/logs".into(),
            1300001
        )
    );
    assert_eq!(
        reason(f.readdir("wxfile://usr/logs/1.log")),
        ("not a directory wxfile://usr/logs/1.log".into(), 1300020)
    );
    assert_eq!(
        f.readdir("wxfile://usr").unwrap(),
        Output::Names(vec!["a".into(), "logs".into()])
    );
    f.rmdir("wxfile://usr/logs", true).unwrap();
    assert_eq!(
        reason(f.copy_file("wxfile://usr/x", "wxfile://usr/y")),
        (
            "no such file or directory, copyFile wxfile://usr/x -> wxfile://usr/y".into(),
            1300002
        )
    );
    assert_eq!(
        reason(f.rename("wxfile://usr/x", "wxfile://usr/y")),
        (
            "no such file or directory, rename wxfile://usr/x -> wxfile://usr/y".into(),
            1300002
        )
    );
}

#[test]
fn the_package_is_readable_and_never_writable() {
    let fx = fixture();
    let f = &fx.files;
    assert_eq!(
        f.read_file("config/device.json", Some("utf8"), None, None)
            .unwrap(),
        Output::Text("{\"id\":1}".into())
    );
    assert_eq!(
        f.read_file("/config/device.json", Some("utf8"), None, None)
            .unwrap(),
        Output::Text("{\"id\":1}".into())
    );
    assert_eq!(
        reason(f.write_file("config/device.json", Data::Bytes(vec![]), false)),
        ("permission denied, open config/device.json".into(), 1300013)
    );
    assert_eq!(
        reason(f.unlink("config/device.json")),
        ("permission denied, open config/device.json".into(), 1300013)
    );
    for escape in [
        "wxfile://usr/../pkg/config/device.json",
        "../usr/x",
        "./config/device.json",
    ] {
        assert_eq!(
            reason(f.read_file(escape, None, None, None)).1,
            1300013,
            "{escape}"
        );
    }
    f.copy_file("config/device.json", "wxfile://usr/device.json")
        .unwrap();
    f.rename("wxfile://usr/device.json", "wxfile://usr/d.json")
        .unwrap();
    let Output::Stats(s) = f.stat("wxfile://usr/d.json", false).unwrap() else {
        panic!()
    };
    assert_eq!((s.size, s.directory), (8, false));
    let Output::Tree(t) = f.stat("wxfile://usr", true).unwrap() else {
        panic!()
    };
    assert_eq!(
        t.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["/", "/d.json"]
    );
}

#[test]
fn the_user_folder_holds_ten_mib_in_all() {
    let fx = fixture();
    let f = &fx.files;
    let mib = vec![7u8; 1 << 20];
    for i in 0..10 {
        f.write_file(
            &format!("wxfile://usr/{i}"),
            Data::Bytes(mib.clone()),
            false,
        )
        .unwrap();
    }
    assert_eq!(
        reason(f.write_file("wxfile://usr/10", Data::Bytes(vec![1]), false)),
        (
            "the maximum size of the file storage limit is exceeded".into(),
            1300202
        )
    );
    // Rewriting a file counts its new size only.
    f.write_file("wxfile://usr/0", Data::Bytes(mib.clone()), false)
        .unwrap();
    assert_eq!(
        reason(f.copy_file("wxfile://usr/1", "wxfile://usr/11")).1,
        1300202
    );
    f.unlink("wxfile://usr/9").unwrap();
    f.write_file("wxfile://usr/10", Data::Bytes(vec![1]), false)
        .unwrap();
}

#[test]
fn a_temporary_data_folder_goes_at_the_end() {
    let top = tempfile::tempdir().unwrap();
    let files = Files::new(None, top.path()).unwrap();
    let dir = files.user.clone();
    assert!(dir.is_dir());
    drop(files);
    assert!(!dir.exists());
}

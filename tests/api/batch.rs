//! Batch verification: an enterprise uploads a spreadsheet, follows the
//! job, and downloads a report saying, row by row, what each certificate
//! came to, or why the row could not be checked.

use std::{
    io::Cursor,
    time::{Duration, Instant},
};

use calamine::{Reader, Xlsx};
use rust_xlsxwriter::{Formula, Workbook};
use safecert_tests::{SeededRow, SpawnOptions, TestApp, error_of, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const PASSWORD: &str = "Safe-Cert-2026!";

async fn enterprise_admin(app: &TestApp, tenant: &str, rows: &[SeededRow], login: &str) -> String {
    let own = rows.iter().find(|r| r.tenant == tenant).unwrap();
    let registered = app.register_enterprise(&own.employer_uscc, login, PASSWORD).await;
    app.sign_in_totp(login, PASSWORD, registered["totp"]["secret"].as_str().unwrap()).await
}

async fn upload(app: &TestApp, token: &str, file_name: &str, bytes: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/batch-verifications?file_name={file_name}")))
        .bearer_auth(token)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

/// A form post of one file, as a browser sends it.
async fn post_file_form(app: &TestApp, cookie: &str, file_name: &str, content: &str) -> reqwest::Response {
    let body = format!(
        "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\r\n{content}\r\n--b0undary--\r\n"
    );
    app.client
        .post(app.url("/account/batch?lang=en"))
        .header("Cookie", cookie)
        .header("Content-Type", "multipart/form-data; boundary=b0undary")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The job once it has finished (or failed).
async fn finished(app: &TestApp, token: &str, id: i64) -> Value {
    let started = Instant::now();
    loop {
        let job: Value = app.get_as(token, &format!("/api/v1/batch-verifications/{id}")).await.json().await.unwrap();
        if matches!(job["state"].as_str(), Some("done" | "failed")) {
            return job;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "job {id} did not finish: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn report(app: &TestApp, token: &str, id: i64, file: &str, lang: &str) -> Vec<u8> {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/batch-verifications/{id}/{file}")))
        .bearer_auth(token)
        .header("Accept-Language", lang)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{file}");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    res.bytes().await.unwrap().to_vec()
}

/// The rows of a sheet of a workbook, as text.
fn sheet_rows(xlsx: &[u8], sheet: &str) -> Vec<Vec<String>> {
    let mut book = Xlsx::new(Cursor::new(xlsx.to_vec())).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

fn count(job: &Value, outcome: &str) -> u64 {
    job["summary"][outcome].as_u64().unwrap()
}

#[tokio::test]
async fn a_workbook_with_chinese_headers_is_checked_row_by_row_across_provinces() {
    let app = spawn_app().await;
    let rows = app.seed(10, 61).await;
    let boss = enterprise_admin(&app, "gd", &rows, "hr-boss").await;
    let (a, b, c) = (&rows[0], &rows[15], &rows[30]);

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, header) in ["序号", "*姓名", "身份证号码", "证书编号（必填）"].iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    // Every seeded certificate, from all four provinces, as it is.
    for (i, r) in rows.iter().enumerate() {
        let line = i as u32 + 1;
        sheet.write_number(line, 0, f64::from(line)).unwrap();
        sheet.write_string(line, 1, &r.holder_name).unwrap();
        sheet.write_string(line, 3, &r.cert_no).unwrap();
    }
    let mut line = rows.len() as u32 + 1;
    let mut add = |name: &str, id: &str, no: &str| {
        sheet.write_string(line, 1, name).unwrap();
        sheet.write_string(line, 2, id).unwrap();
        sheet.write_string(line, 3, no).unwrap();
        line += 1;
    };
    add(&a.holder_name, &a.id_number, &a.cert_no); // the ID number matches
    add(&b.holder_name, &c.id_number, &b.cert_no); // someone else's ID number
    add("张冒名", "", &c.cert_no); // someone else's name
    add("李四", "", "GD2099NOSUCH0001"); // no such number
    add("", "", &a.cert_no); // no name
    add("王五", "12345", &a.cert_no); // malformed ID number
    add("赵六", "", "<script>"); // malformed number
    // A number computed by a formula counts as its value.
    sheet.write_string(line, 1, &b.holder_name).unwrap();
    sheet.write_formula(line, 3, Formula::new(format!("=\"{}\"", b.cert_no)).set_result(&b.cert_no)).unwrap();
    let xlsx = book.save_to_buffer().unwrap();

    let res = upload(&app, &boss, "员工证书.xlsx", xlsx).await;
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let job: Value = res.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/batch-verifications/{}", job["id"]));
    assert_eq!(job["mapping"], json!({ "cert_no": "D", "name": "B", "id_number": "C", "header": true }));
    let id = job["id"].as_i64().unwrap();
    let job = finished(&app, &boss, id).await;
    assert_eq!(job["state"], "done", "{job}");
    assert!(!job["counts_only"].as_bool().unwrap());

    let total = rows.len() as u64 + 8;
    assert_eq!((job["rows_total"].as_u64(), job["rows_done"].as_u64()), (Some(total), Some(total)));
    let seeded = |status: &str| rows.iter().filter(|r| r.status == status).count() as u64;
    let status_of = |r: &SeededRow| r.status.clone();
    let mut expected_valid = seeded("valid");
    // The matching ID number and the formula's row add to their statuses.
    for extra in [a, b] {
        if status_of(extra) == "valid" {
            expected_valid += 1;
        }
    }
    assert_eq!(count(&job, "valid"), expected_valid, "{job}");
    assert_eq!(count(&job, "mismatch"), 2);
    assert_eq!(count(&job, "not_found"), 1);
    assert_eq!(count(&job, "invalid"), 3);
    assert_eq!(count(&job, "total"), total);

    // The workbook report: a summary sheet and every row, in Chinese.
    let xlsx = report(&app, &boss, id, "report.xlsx", "zh-CN").await;
    let summary = sheet_rows(&xlsx, "汇总");
    assert!(summary.iter().any(|r| r[0] == "信息不符" && r[1] == "2"), "{summary:?}");
    let lines = sheet_rows(&xlsx, "明细");
    assert_eq!(lines[0], ["行号", "证书编号", "姓名", "核验结果", "发证省份", "有效期至", "原因"]);
    assert_eq!(lines.len() as u64, total + 1);
    let by_row = |n: u32| lines.iter().find(|l| l[0] == n.to_string()).unwrap().clone();
    let first = rows.len() as u32 + 2;
    assert_eq!(by_row(first + 1)[6], "身份证号与持证人不符。");
    assert_eq!(by_row(first + 2)[6], "姓名与持证人不符。");
    assert_eq!((by_row(first + 3)[3].as_str(), by_row(first + 3)[6].as_str()), ("查无此证", "没有该编号的证书。"));
    assert_eq!(by_row(first + 4)[6], "缺少姓名。");
    assert!(by_row(first + 5)[6].starts_with("身份证号格式不正确"));
    assert_eq!(by_row(first + 6)[6], "证书编号格式不正确。");
    let seeded_row = by_row(2);
    assert_eq!(seeded_row[1], rows[0].cert_no);
    assert_eq!(seeded_row[5], rows[0].expiry_date);
    // The ID numbers uploaded are never in a report.
    let text = format!("{lines:?}");
    assert!(!text.contains(&a.id_number) && !text.contains(&c.id_number));

    // The CSV report, in English, opens in Excel as UTF-8.
    let csv = report(&app, &boss, id, "report.csv", "en").await;
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("Row,Certificate number,Name,Result,Province,Valid until,Reason"), "{csv}");
    assert!(csv.contains("No certificate has this number."));
    assert_eq!(csv.lines().count() as u64, total + 1);

    // The upload is in the account's query log; the job is in its list.
    let list: Value = app.get_as(&boss, "/api/v1/batch-verifications").await.json().await.unwrap();
    assert_eq!(list[0]["id"].as_i64(), Some(id));
    // Nobody else sees the job.
    let other = enterprise_admin(&app, "js", &rows, "other-boss").await;
    assert_eq!(error_of(app.get_as(&other, &location).await).await, (404, "unknown_batch".into()));
    let res = app.get_as(&other, &format!("{location}/report.csv")).await;
    assert_eq!(error_of(res).await, (404, "unknown_batch".into()));
}

#[tokio::test]
async fn a_gbk_csv_with_headers_of_its_own_waits_for_a_column_mapping() {
    let app = spawn_app().await;
    let rows = app.seed(5, 62).await;
    let boss = enterprise_admin(&app, "gd", &rows, "hr-gbk").await;
    let mut text = "工号,员工,证号\r\n".to_owned();
    for (i, r) in rows.iter().take(6).enumerate() {
        text.push_str(&format!("{i},{},{}\r\n", r.holder_name, r.cert_no));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let res = upload(&app, &boss, "staff.csv", gbk.into_owned()).await;
    assert_eq!(res.status(), 202);
    let job: Value = res.json().await.unwrap();
    assert_eq!(job["state"], "mapping");
    assert_eq!(job["columns"][1], json!({ "letter": "B", "header": "员工" }), "the GBK headers read as Chinese");
    let id = job["id"].as_i64().unwrap();
    let path = format!("/api/v1/batch-verifications/{id}");

    let res = app.get_as(&boss, &format!("{path}/report.xlsx")).await;
    assert_eq!(error_of(res).await, (409, "batch_not_ready".into()));
    let res = app.post_as(&boss, &format!("{path}/mapping"), &json!({ "cert_no": "D", "name": "B" })).await;
    assert_eq!(error_of(res).await, (422, "column_mapping".into()));
    let res = app.post_as(&boss, &format!("{path}/mapping"), &json!({ "cert_no": "B", "name": "B" })).await;
    assert_eq!(error_of(res).await, (422, "column_mapping".into()));

    let res = app.post_as(&boss, &format!("{path}/mapping"), &json!({ "cert_no": "c", "name": "B" })).await;
    assert_eq!(res.status(), 202);
    let job = finished(&app, &boss, id).await;
    assert_eq!((job["state"].as_str(), count(&job, "total")), (Some("done"), 6), "{job}");
    assert_eq!(count(&job, "not_found") + count(&job, "mismatch") + count(&job, "invalid"), 0, "{job}");
    let res = app.post_as(&boss, &format!("{path}/mapping"), &json!({ "cert_no": "C", "name": "B" })).await;
    assert_eq!(error_of(res).await, (409, "batch_not_waiting".into()));
}

#[tokio::test]
async fn files_that_are_not_spreadsheets_get_a_clear_error_and_no_job() {
    let app = spawn_app().await;
    let rows = app.seed(2, 63).await;
    let boss = enterprise_admin(&app, "gd", &rows, "hr-bad").await;
    let too_many: String =
        std::iter::once("证书编号,姓名\n".to_owned()).chain((0..50_001).map(|i| format!("GD{i:010},张三\n"))).collect();
    let mut encrypted = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    encrypted.extend([0u8; 504]);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("empty.csv", Vec::new(), 422, "sheet_empty"),
        ("blank.xlsx", b"\r\n \r\n".to_vec(), 422, "sheet_empty"),
        ("setup.xlsx", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec(), 415, "not_a_spreadsheet"),
        ("locked.xlsx", encrypted, 422, "sheet_protected"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip".to_vec(), 422, "sheet_damaged"),
        ("latin1.csv", b"\xff\xfe\xfd,\x80\x80\n".to_vec(), 422, "sheet_encoding"),
        ("huge.csv", too_many.into_bytes(), 413, "too_many_rows"),
        ("giant.csv", vec![b'a'; 21 * 1024 * 1024], 413, "payload_too_large"),
    ];
    for (name, bytes, status, code) in cases {
        let res = upload(&app, &boss, name, bytes).await;
        assert_eq!(error_of(res).await, (status, code.to_owned()), "{name}");
    }
    // Each error says what to do, in the caller's language.
    let res = app
        .client
        .post(app.url("/api/v1/batch-verifications"))
        .bearer_auth(&boss)
        .header("Accept-Language", "ug")
        .body(Vec::new())
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains(".xlsx"), "{body}");
    let list: Value = app.get_as(&boss, "/api/v1/batch-verifications").await.json().await.unwrap();
    assert_eq!(list, json!([]), "nothing was filed");

    // Who may not: no session, and roles the policy does not give it.
    let res = app.client.post(app.url("/api/v1/batch-verifications")).body("a,b").send().await.unwrap();
    assert_eq!(error_of(res).await.0, 401);
    let res = upload(&app, &app.operator, "x.csv", b"a,b".to_vec()).await;
    assert_eq!(error_of(res).await, (403, "forbidden".into()));
}

#[tokio::test]
async fn a_province_can_give_enterprises_the_counts_only() {
    let app = spawn_app_with(SpawnOptions {
        settings: vec![("bj", r#"batch_counts_only_roles = ["enterprise_admin"]"#)],
        ..Default::default()
    })
    .await;
    let rows = app.seed(6, 64).await;
    let boss = enterprise_admin(&app, "bj", &rows, "bj-boss").await;
    let mut text = "证书编号,姓名\n".to_owned();
    for r in &rows {
        text.push_str(&format!("{},{}\n", r.cert_no, r.holder_name));
    }
    text.push_str("not a number!,张三\n");
    let res = upload(&app, &boss, "bj.csv", text.into_bytes()).await;
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let job = finished(&app, &boss, id).await;
    assert_eq!(job["counts_only"], true);
    assert_eq!(count(&job, "total"), rows.len() as u64 + 1);
    assert_eq!(count(&job, "invalid"), 1);

    let csv = String::from_utf8(report(&app, &boss, id, "report.csv", "en").await).unwrap();
    assert!(csv.contains("counts only"), "{csv}");
    assert!(rows.iter().all(|r| !csv.contains(&r.cert_no) && !csv.contains(&r.holder_name)), "no person's row: {csv}");
    assert!(csv.contains("The certificate number is malformed."), "the unreadable row is still named: {csv}");
    let xlsx = report(&app, &boss, id, "report.xlsx", "en").await;
    let lines = sheet_rows(&xlsx, "Rows");
    assert_eq!(lines.len(), 2, "the header and the unreadable row: {lines:?}");

    // The same upload in another province comes back row by row.
    let gd_boss = enterprise_admin(&app, "gd", &rows, "gd-boss").await;
    let res = upload(
        &app,
        &gd_boss,
        "gd.csv",
        format!("证书编号,姓名\n{},{}\n", rows[0].cert_no, rows[0].holder_name).into_bytes(),
    )
    .await;
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(finished(&app, &gd_boss, id).await["counts_only"], false);
}

#[tokio::test]
async fn a_job_interrupted_by_a_restart_runs_again_when_the_service_starts() {
    let app = spawn_app().await;
    let rows = app.seed(3, 65).await;
    let boss = enterprise_admin(&app, "gd", &rows, "hr-restart").await;
    let text =
        format!("A,B\n{},{}\n{},{}\n", rows[0].cert_no, rows[0].holder_name, rows[1].cert_no, rows[1].holder_name);
    let res = upload(&app, &boss, "restart.csv", text.into_bytes()).await;
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // As a stop would leave it: running, its mapping known, nothing done.
    let mapping = r#"{"cert_no":0,"name":1,"id_number":null,"header":true}"#;
    app.raw_platform_execute(&format!(
        "UPDATE {{platform}}batch_jobs SET state = 'running', mapping = '{mapping}' WHERE id = {id}"
    ))
    .await;
    let replica = app.replica().await;
    let job = finished(&app, &boss, id).await;
    assert_eq!((job["state"].as_str(), count(&job, "total")), (Some("done"), 2), "{job}");
    drop(replica);
}

#[tokio::test]
async fn the_batch_page_takes_a_file_and_shows_the_job() {
    let app = spawn_app().await;
    let rows = app.seed(3, 66).await;
    let boss = enterprise_admin(&app, "gd", &rows, "hr-page").await;
    let cookie = format!("safecert_session={boss}");
    let page = app.client.get(app.url("/account/batch?lang=en")).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"enctype="multipart/form-data""#) && html.contains(r#"type="file""#), "{html}");

    let csv = format!("证书编号,姓名\n{},{}\n", rows[0].cert_no, rows[0].holder_name);
    let res = post_file_form(&app, &cookie, "名单.csv", &csv).await;
    assert_eq!(res.status(), 303);
    let job_page = res.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = job_page.trim_start_matches("/account/batch/").split('?').next().unwrap().parse().unwrap();
    finished(&app, &boss, id).await;
    let html = app.client.get(app.url(&job_page)).header("Cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("名单.csv") && html.contains("Done"), "{html}");
    assert!(html.contains(&format!("/api/v1/batch-verifications/{id}/report.xlsx")));

    // A file that is not a spreadsheet: the list again, with the reason.
    let res = post_file_form(&app, &cookie, "a.xlsx", "MZ\0\0").await;
    assert_eq!(res.status(), 415);
    assert!(res.text().await.unwrap().contains("not a spreadsheet"));
}

//! "Configuration and findings" in a real browser, on the demo: the failing
//! group's findings with their AWS links, and the link to the group's view.

use fantoccini::Locator;
use serde_json::Value;
use tlswatch_shared::View;
use tlswatch_shared::changes::CLOUDTRAIL_DOC;
use tlswatch_shared::review::{HEALTH_CHECKS_DOC, METRICS_DOC, SECURITY_POLICIES_DOC, TARGET_GROUPS_DOC};
use tlswatch_tests::Tlswatch;
use tlswatch_tests::browser::{eval, wait_until, with_browser};

const PAYMENTS: &str = "app/payments-alb/3e9c1f0a7b2d4c68";
const CHECKOUT: &str = "targetgroup/checkout-tls/4b1e8d2c9f0a7365";

#[tokio::test]
async fn the_review_shows_the_failing_groups_findings_and_links_to_its_view() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let (_, api) = tlswatch.get(&format!("/api/v1/review?lb={PAYMENTS}&from=now-24h")).await;
    let expected_codes: Vec<Value> = api["load_balancers"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["target_group"] == CHECKOUT)
        .map(|f| f["code"].clone())
        .collect();
    assert!(expected_codes.contains(&Value::from("tls-errors")), "{api}");
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&from=now-24h", tlswatch.url)).await.unwrap();
        let row = format!("document.querySelector('.lb-review tr[data-target-group=\"{CHECKOUT}\"]')");
        wait_until(&client, &row).await;

        // The failing group's findings, as the API gives them, each with a link to AWS's page.
        let shown = eval(
            &client,
            "[...document.querySelectorAll('.lb-review .finding')]\
                .filter(li => li.textContent.includes('checkout-tls'))\
                .map(li => li.dataset.code)",
        )
        .await;
        assert_eq!(shown, Value::from(expected_codes.clone()), "the findings that name checkout-tls");
        // Every finding of the load balancer, each with exactly one link: the API's `doc`.
        let links = eval(
            &client,
            &format!(
                "[...document.querySelectorAll('.lb-review[data-load-balancer=\"{PAYMENTS}\"] .finding')]\
                    .map(li => [li.dataset.code, [...li.querySelectorAll('a')].map(a => a.getAttribute('href'))])"
            ),
        )
        .await;
        let findings = api["load_balancers"][0]["findings"].as_array().expect("findings");
        let expected: Vec<Value> = findings.iter().map(|f| serde_json::json!([f["code"], [f["doc"]]])).collect();
        assert_eq!(links, Value::from(expected), "one link per finding, to the API's doc");
        let known = [SECURITY_POLICIES_DOC, TARGET_GROUPS_DOC, HEALTH_CHECKS_DOC, METRICS_DOC, CLOUDTRAIL_DOC];
        for finding in findings {
            assert!(known.contains(&finding["doc"].as_str().unwrap()), "{finding} cites one of AWS's pages");
        }
        let high =
            eval(&client, "document.querySelector('.lb-review .finding.severity-high .severity').textContent").await;
        assert_eq!(high, Value::from("high"));

        // The group's row links to the view of that group over the same range.
        let href = eval(&client, &format!("{row}.querySelector('a.group-view').getAttribute('href')")).await;
        let expected = View::from_query(&format!("lb={PAYMENTS}&tg={CHECKOUT}&from=now-24h")).unwrap().to_query();
        assert_eq!(href, Value::from(format!("/?{expected}")));
        client
            .find(Locator::Css(&format!(".lb-review tr[data-target-group=\"{CHECKOUT}\"] a.group-view")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_until(&client, &format!("location.search === '?{expected}'")).await;
        wait_until(&client, "document.querySelector('#summary-buckets') !== null").await;
    })
    .await;
}

#[tokio::test]
async fn probe_targets_shows_that_the_failing_groups_targets_accept_only_tls_1_3_with_the_fix() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&from=now-24h", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.querySelector('button.probe-targets') !== null").await;
        client.find(Locator::Css("button.probe-targets")).await.unwrap().click().await.unwrap();

        // The demo's checkout-tls targets are real TLS 1.3-only servers behind the 2016-08 policy.
        let table = format!("document.querySelector('.probe-table[data-target-group=\"{CHECKOUT}\"]')");
        wait_until(&client, &format!("{table} !== null")).await;
        let rows = eval(
            &client,
            &format!("[...{table}.querySelectorAll('tbody tr')].map(tr => [tr.dataset.outcome, tr.lastElementChild.textContent])"),
        )
        .await;
        let rows = rows.as_array().expect("rows");
        assert_eq!(rows.len(), 3, "one row per registered target: {rows:?}");
        for row in rows {
            assert_eq!(row[0], "protocol-mismatch", "{row}");
            let meaning = row[1].as_str().unwrap();
            assert!(
                meaning.starts_with("accepts only TLS 1.3; the load balancer offers TLS 1.0-1.2 to it")
                    && meaning.contains("ELBSecurityPolicy-2016-08")
                    && meaning.contains("Fix:"),
                "{meaning}"
            );
        }
        let caption = eval(&client, &format!("{table}.caption.textContent")).await;
        assert!(caption.as_str().unwrap().contains("offers TLS 1.0-1.2"), "{caption}");
        let codes = eval(&client, "[...document.querySelectorAll('.lb-probe .finding')].map(li => li.dataset.code)").await;
        assert!(codes.as_array().unwrap().contains(&Value::from("target-rejects-backend-tls")), "{codes}");
        assert_eq!(tlswatch_tests::browser::axe_findings(&client).await, Vec::<String>::new(), "with the probe shown");
    })
    .await;
}

#[tokio::test]
async fn the_change_before_the_onset_is_on_the_chart_in_the_summary_and_in_the_review() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&from=now-24h", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.querySelector('#summary-onset-change')").await;
        let sentence = eval(&client, "document.querySelector('#summary-onset-change').textContent").await;
        let sentence = sentence.as_str().unwrap();
        assert!(sentence.starts_with("Failing began at "), "{sentence}");
        assert!(
            sentence.contains(
                "2 minutes after ModifyListener by alice set SslPolicy to ELBSecurityPolicy-2016-08 on listener 443"
            ),
            "{sentence}"
        );
        // The marks list says it, as a change, beside the onset.
        let kinds = eval(&client, "[...document.querySelectorAll('#marks li')].map(li => li.dataset.kind)").await;
        assert!(kinds.as_array().unwrap().contains(&Value::from("change")), "{kinds}");
        assert!(kinds.as_array().unwrap().contains(&Value::from("onset")), "{kinds}");
        // Each change in the list links to its CloudTrail event; no other mark has a link.
        let links = eval(
            &client,
            "[...document.querySelectorAll('#marks li')].map(li => [li.dataset.kind, li.querySelector('a')?.getAttribute('href') ?? null])",
        )
        .await;
        for pair in links.as_array().unwrap() {
            let (kind, href) = (pair[0].as_str().unwrap(), pair[1].as_str());
            match kind {
                "change" => assert!(href.is_some_and(|h| h.contains("console.aws.amazon.com/cloudtrailv2/")), "{links}"),
                _ => assert!(href.is_none(), "{links}"),
            }
        }
        // The review lists it among the load balancer's recent changes, linked to CloudTrail.
        let listed = format!(
            "document.querySelector('.lb-review[data-load-balancer=\"{PAYMENTS}\"] .recent-changes li[data-event=ModifyListener]')"
        );
        wait_until(&client, &listed).await;
        let link = eval(&client, &format!("{listed}.querySelector('a').getAttribute('href')")).await;
        assert!(link.as_str().unwrap().contains("console.aws.amazon.com/cloudtrailv2/"), "{link}");
    })
    .await;
}

#[tokio::test]
async fn the_overview_filters_by_finding_links_each_to_its_review_and_offers_the_report() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let (_, api) = tlswatch.get("/api/v1/overview?finding=plaintext-targets").await;
    let expected: Vec<Value> =
        api["rows"].as_array().unwrap().iter().map(|r| r["load_balancer"]["name"].clone()).collect();
    let mut listed = expected.clone();
    listed.sort_by_key(|name| name.to_string());
    let plain = [Value::from("payments-alb"), Value::from("shop-alb")];
    assert_eq!(listed, plain, "the demo's plain HTTP groups, in both accounts: {api}");
    let worst = api["rows"][0]["findings"]["worst"].clone();
    let (_, whole) = tlswatch.get("/api/v1/overview").await;
    let summarized: Vec<Value> =
        whole["fleet"]["findings"].as_array().unwrap().iter().map(|c| c["code"].clone()).collect();
    with_browser(|client| async move {
        // The summary lists the fleet's findings; each opens the overview of the load balancers that have it.
        client.goto(&format!("{}/overview", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.querySelector('#fleet-findings')").await;
        let codes =
            eval(&client, "[...document.querySelectorAll('#fleet-findings tbody tr')].map(tr => tr.dataset.code)")
                .await;
        assert_eq!(codes.as_array().unwrap(), &summarized, "the page summarizes what the API does");
        client
            .find(Locator::Css("#fleet-findings tr[data-code=plaintext-targets] a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_until(&client, "location.search === '?finding=plaintext-targets'").await;
        let link = "document.querySelector('#fleet .worst-finding')";
        wait_until(&client, link).await;
        let names =
            eval(&client, "[...document.querySelectorAll('#fleet th[scope=row] a')].map(a => a.textContent)").await;
        assert_eq!(names.as_array().unwrap(), &expected, "the page lists what the API lists");
        assert_eq!(eval(&client, &format!("{link}.dataset.code")).await, worst);
        let ticked =
            eval(&client, "[...document.querySelectorAll('input[name=finding]:checked')].map(i => i.value)").await;
        assert_eq!(ticked, Value::from(vec!["plaintext-targets"]), "the URL's filter is ticked");

        // The report link carries the filter and downloads the CSV.
        let report = eval(&client, "document.querySelector('#report-tls12').getAttribute('href')").await;
        assert_eq!(report, "/api/v1/fleet-review?finding=plaintext-targets&baseline=tls12-minimum&format=csv");
        let csv = eval(&client, "fetch(document.querySelector('#report-tls12').href).then(r => r.text())").await;
        let csv = csv.as_str().unwrap();
        assert!(csv.starts_with("account,region,load_balancer,"), "{csv}");
        assert!(csv.lines().skip(1).all(|line| line.contains("plaintext-targets")), "{csv}");

        // Ordering by findings writes the URL.
        client.find(Locator::Css("#sort")).await.unwrap().select_by_value("findings").await.unwrap();
        wait_until(&client, "location.search.includes('sort=findings')").await;

        // The worst finding opens the dashboard at the load balancer's review.
        wait_until(&client, link).await;
        client.find(Locator::Css("#fleet .worst-finding")).await.unwrap().click().await.unwrap();
        wait_until(&client, "location.pathname === '/' && location.hash === '#review'").await;
        let in_view = "(() => { const s = document.querySelector('#review .lb-review'); \
                       return s !== null && s.getBoundingClientRect().top < innerHeight; })()";
        wait_until(&client, in_view).await;
    })
    .await;
}

#[tokio::test]
async fn a_finding_that_holds_for_several_groups_is_shown_once_naming_them_all() {
    const INTERNAL: &str = "app/internal-api/a41f0c2e9d7b3586";
    let tlswatch = Tlswatch::demo_with_frontend();
    let (_, api) = tlswatch.get(&format!("/api/v1/review?lb={INTERNAL}&from=now-24h")).await;
    let per_group: Vec<String> = api["load_balancers"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "backend-without-tls13")
        .map(|f| f["target_group"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(per_group.len(), 2, "the API keeps one per group: {api}");
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={INTERNAL}&from=now-24h", tlswatch.url)).await.unwrap();
        let item = ".lb-review .finding[data-code=backend-without-tls13]";
        wait_until(&client, &format!("document.querySelector('{item}')")).await;
        let shown = eval(
            &client,
            &format!("[...document.querySelectorAll('{item}')].map(li => [li.dataset.targetGroups, li.textContent])"),
        )
        .await;
        let shown = shown.as_array().unwrap();
        assert_eq!(shown.len(), 1, "one finding for both groups: {shown:?}");
        assert_eq!(shown[0][0], Value::from(per_group.join(" ")));
        let text = shown[0][1].as_str().unwrap();
        assert!(text.contains("target groups grpc-backend and admin-tls are reached only with"), "{text}");
        // Findings that differ (each group's own errors) stay apart.
        let errors =
            eval(&client, "document.querySelectorAll('.lb-review .finding[data-code=tls-errors]').length").await;
        assert_eq!(errors, Value::from(2));
    })
    .await;
}

//! What changed on a TLS path, from CloudTrail's LookupEvents: the Elastic
//! Load Balancing events of a range, newest first. CloudTrail answers
//! LookupEvents two calls a second per account and region, so every call
//! waits its turn at a limiter per scope, and a throttled call waits and
//! is made again here (the SDK's own retries are off: they would not wait
//! for the limiter).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_smithy_types::DateTime;
use governor::{DefaultKeyedRateLimiter, Quota};
use tlswatch_shared::changes::{EVENT_SOURCE, TrailEvent};

use super::aws::{AccountSdkConfigs, PerScope, classify};
use super::{ChangeSource, Scope, Service, SourceError, Trail};

/// The service every call of this source goes to, named in its errors.
const SERVICE: Service = Service::CloudTrail;

/// The per-service endpoint variable of the AWS SDKs for CloudTrail.
pub const ENDPOINT_VARIABLE: &str = "AWS_ENDPOINT_URL_CLOUDTRAIL";

/// One call per this long per account and region: under CloudTrail's two a
/// second with room for the jitter of timers.
const CALL_SPACING: Duration = Duration::from_millis(550);
/// LookupEvents' largest page.
const PAGE_SIZE: i32 = 50;
/// Times a throttled call is made again, and the wait before each.
const THROTTLED_RETRIES: u32 = 3;
const THROTTLED_WAIT: Duration = Duration::from_secs(1);

/// CloudTrail clients, one per account and region, behind one limiter.
pub struct CloudTrailSource {
    clients: PerScope<Client>,
    limiter: DefaultKeyedRateLimiter<Scope>,
}

impl CloudTrailSource {
    /// A client for each account and region, from the configuration every
    /// other client uses, but at [`ENDPOINT_VARIABLE`] when it is set (it
    /// names CloudTrail's endpoint over `--endpoint-url`, as the AWS SDKs'
    /// per-service endpoint convention says), and without retries.
    pub(crate) fn new(configs: &AccountSdkConfigs) -> Self {
        let endpoint = std::env::var(ENDPOINT_VARIABLE).ok().filter(|url| !url.is_empty());
        let clients = PerScope::build(configs, |config, region| {
            let mut builder = aws_sdk_cloudtrail::config::Builder::from(config)
                .region(region)
                .retry_config(aws_sdk_cloudtrail::config::retry::RetryConfig::disabled());
            if let Some(url) = &endpoint {
                builder = builder.endpoint_url(url);
            }
            Client::from_conf(builder.build())
        });
        let quota = Quota::with_period(CALL_SPACING).expect("a spacing above zero").allow_burst(1.try_into().unwrap());
        Self { clients, limiter: DefaultKeyedRateLimiter::keyed(quota) }
    }

    /// One page of events, in turn with every other call of `scope`; a
    /// throttled call is made again after a wait.
    async fn page(
        &self,
        client: &Client,
        scope: &Scope,
        start: i64,
        end: i64,
        token: Option<String>,
    ) -> Result<aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput, SourceError> {
        let mut attempt = 0;
        loop {
            self.limiter.until_key_ready(scope).await;
            let sent = client
                .lookup_events()
                .lookup_attributes(
                    LookupAttribute::builder()
                        .attribute_key(LookupAttributeKey::EventSource)
                        .attribute_value(EVENT_SOURCE)
                        .build()
                        .map_err(|err| SourceError::Internal(err.to_string()))?,
                )
                .start_time(DateTime::from_secs(start))
                .end_time(DateTime::from_secs(end))
                .max_results(PAGE_SIZE)
                .set_next_token(token.clone())
                .send()
                .await;
            match sent.map_err(|err| classify(SERVICE, "LookupEvents", err)) {
                Err(SourceError::Throttled(..)) if attempt < THROTTLED_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(THROTTLED_WAIT * attempt).await;
                }
                other => return other,
            }
        }
    }
}

#[async_trait]
impl ChangeSource for CloudTrailSource {
    async fn trail(&self, scope: &Scope, start: i64, end: i64, max_events: usize) -> Result<Trail, SourceError> {
        let client = self.clients.get(scope)?;
        let mut trail = Trail::default();
        let mut token = None;
        loop {
            let output = self.page(client, scope, start, end, token).await?;
            for event in output.events() {
                let (Some(id), Some(name), Some(time), Some(record)) =
                    (event.event_id(), event.event_name(), event.event_time(), event.cloud_trail_event())
                else {
                    continue;
                };
                trail.events.push(TrailEvent {
                    event_id: id.to_string(),
                    event_name: name.to_string(),
                    event_time: time.secs(),
                    cloudtrail_event: record.to_string(),
                });
            }
            token = output.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(trail);
            }
            if trail.events.len() >= max_events {
                // Newest first: what is left is older than the oldest read.
                trail.complete_from = trail.events.iter().map(|e| e.event_time).min();
                return Ok(trail);
            }
        }
    }
}

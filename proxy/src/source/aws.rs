//! What every AWS client of the proxy shares: one SDK configuration per
//! account (the proxy's own credentials, or a role assumed through STS),
//! the timeouts and retries of every call ([`CallPolicy`]), one client per
//! account and region ([`PerScope`]), and how an SDK failure is told to the
//! user ([`classify`]).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_cloudwatch::config::SharedCredentialsProvider;
use aws_sdk_cloudwatch::config::http::HttpResponse;
use aws_sdk_cloudwatch::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_types::error::display::DisplayErrorContext;
use tlswatch_shared::Region;

use super::{Scope, Service, SourceError};
use crate::accounts::{Account, Accounts, Role};

/// Timeouts and retries of every AWS call.
#[derive(Debug, Clone, Copy)]
pub struct CallPolicy {
    /// How long opening a connection may take (at most an attempt's timeout).
    pub connect_timeout: Duration,
    /// How long one attempt may take.
    pub attempt_timeout: Duration,
    /// How long a call may take with its retries.
    pub call_timeout: Duration,
    /// Attempts per call, the first included; the SDK backs off between them
    /// (with more patience for throttling).
    pub max_attempts: u32,
    /// Elastic Load Balancing calls per second in each account and region
    /// (with bursts of as many).
    pub elb_calls_per_second: NonZeroU32,
}

/// The AWS configuration every client of the proxy is built from: the
/// standard credential chain, `policy`'s timeouts and retries, and
/// `endpoint_url` for a compatible server (tests point it at moto). The
/// region is `region` (each client gets its own): naming it keeps the SDK
/// from looking for one in profiles and the instance metadata service.
pub async fn sdk_config(endpoint_url: Option<&str>, policy: CallPolicy, region: &Region) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(policy.connect_timeout.min(policy.attempt_timeout))
                .operation_attempt_timeout(policy.attempt_timeout)
                .operation_timeout(policy.call_timeout)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(policy.max_attempts.max(1)));
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The SDK configuration of each account: its credentials (the proxy's
/// own, or a role assumed in the account), with the shared timeouts,
/// retries and endpoint.
pub(crate) struct AccountSdkConfigs(Vec<(Account, SdkConfig)>);

impl AccountSdkConfigs {
    /// One configuration per account of `accounts`, from the proxy's own `base`.
    pub(crate) async fn new(accounts: &Accounts, base: &SdkConfig) -> Self {
        let mut configs = Vec::new();
        for account in accounts.all() {
            let config = match &account.role {
                None => base.clone(),
                Some(role) => assumed(base, role, &account.regions.default).await,
            };
            configs.push((account.clone(), config));
        }
        Self(configs)
    }
}

/// The session name of every role tlswatch assumes: CloudTrail shows it.
pub const ASSUMED_SESSION_NAME: &str = "tlswatch";

/// `base` with the credentials of `role`, assumed through STS (at the same
/// endpoint as every other call) as the session [`ASSUMED_SESSION_NAME`].
/// The SDK's identity cache keeps them and assumes the role again before
/// they expire.
async fn assumed(base: &SdkConfig, role: &Role, region: &Region) -> SdkConfig {
    let mut provider = AssumeRoleProvider::builder(role.arn.clone())
        .session_name(ASSUMED_SESSION_NAME)
        .region(aws_config::Region::new(region.to_string()))
        .configure(base);
    if let Some(external_id) = &role.external_id {
        provider = provider.external_id(external_id.clone());
    }
    let provider = provider.build().await;
    base.to_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build()
}

/// One client of an AWS service per account and region, built once.
pub(crate) struct PerScope<C>(HashMap<Scope, C>);

impl<C> PerScope<C> {
    /// A client for each account and region of `configs`, made by `client_in`.
    pub(crate) fn build(configs: &AccountSdkConfigs, client_in: impl Fn(&SdkConfig, aws_config::Region) -> C) -> Self {
        let mut clients = HashMap::new();
        for (account, config) in &configs.0 {
            for scope in account.scopes() {
                let region = aws_config::Region::new(scope.region.to_string());
                clients.insert(scope, client_in(config, region));
            }
        }
        Self(clients)
    }

    /// The client of `scope` (every scope a view may name has one).
    pub(crate) fn get(&self, scope: &Scope) -> Result<&C, SourceError> {
        self.0.get(scope).ok_or_else(|| SourceError::Internal(format!("no client for {scope}")))
    }
}

/// Looks up the account ID of the identity `base` holds (STS
/// GetCallerIdentity in `region`, which needs no permission) and keeps it in
/// `found`; a failure is logged only.
pub(crate) async fn look_up_own_account_id(base: SdkConfig, region: aws_config::Region, found: Arc<OnceLock<String>>) {
    let client = aws_sdk_sts::Client::from_conf(aws_sdk_sts::config::Builder::from(&base).region(region).build());
    match client.get_caller_identity().send().await {
        Ok(identity) => {
            if let Some(account) = identity.account() {
                let _ = found.set(account.to_string());
            }
        }
        Err(err) => tracing::warn!(
            error = %DisplayErrorContext(&err),
            "could not look up the account ID of the proxy's own identity"
        ),
    }
}

/// Sorts a failed call of `operation` on `service` into what the user is
/// told. The full error goes to the log only.
pub(crate) fn classify<E>(service: Service, operation: &str, err: SdkError<E, HttpResponse>) -> SourceError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    tracing::warn!(%service, operation, error = %DisplayErrorContext(&err), "AWS call failed");
    if let Some(refused) = role_refusal(&err) {
        return refused;
    }
    match &err {
        SdkError::TimeoutError(_) => SourceError::Timeout(service, format!("{operation} timed out")),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            SourceError::Timeout(service, format!("{operation} timed out"))
        }
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            SourceError::Unreachable(service, format!("{operation} could not connect"))
        }
        SdkError::DispatchFailure(_) => SourceError::Unreachable(
            service,
            format!("{operation} could not be sent (no usable AWS credentials, or no connection)"),
        ),
        SdkError::ServiceError(failure) => {
            let code = failure.err().code().unwrap_or("unknown");
            classify_service_error(service, operation, code, failure.raw().status().as_u16())
        }
        SdkError::ResponseError(_) => {
            SourceError::Failed(service, format!("{operation} returned an answer that could not be read"))
        }
        _ => SourceError::Failed(service, format!("{operation} could not be made; the server log has details")),
    }
}

/// The failure to assume an account's role, when that is why a call
/// failed: the SDK reports it as a failed dispatch whose causes hold STS's
/// AssumeRole error.
fn role_refusal(err: &(dyn std::error::Error + 'static)) -> Option<SourceError> {
    type AssumeRoleFailure = SdkError<AssumeRoleError, HttpResponse>;
    let mut cause = err.source();
    while let Some(current) = cause {
        if let Some(failure) = current.downcast_ref::<AssumeRoleFailure>() {
            return Some(match failure {
                SdkError::ServiceError(failure) => {
                    let code = failure.err().code().unwrap_or("unknown");
                    let status = failure.raw().status().as_u16();
                    match classify_service_error(Service::Sts, "AssumeRole", code, status) {
                        SourceError::AccessDenied(_, detail) => SourceError::RoleRefused(detail),
                        other => other,
                    }
                }
                SdkError::TimeoutError(_) => SourceError::Timeout(Service::Sts, "AssumeRole timed out".to_string()),
                _ => SourceError::Unreachable(Service::Sts, "AssumeRole could not be reached".to_string()),
            });
        }
        cause = current.source();
    }
    None
}

/// Sorts a service error by its AWS error code and HTTP status.
fn classify_service_error(service: Service, operation: &str, code: &str, status: u16) -> SourceError {
    let detail = format!("{operation}: {code}");
    match code {
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException" => {
            SourceError::Throttled(service, detail)
        }
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature" => SourceError::AccessDenied(service, detail),
        _ if status == 429 => SourceError::Throttled(service, detail),
        _ if status == 401 || status == 403 => SourceError::AccessDenied(service, detail),
        _ => SourceError::Failed(service, detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_are_sorted_by_code_then_status() {
        let sorted = |code, status| classify_service_error(Service::CloudWatch, "op", code, status);
        assert!(matches!(sorted("Throttling", 400), SourceError::Throttled(..)));
        assert!(matches!(sorted("AccessDenied", 403), SourceError::AccessDenied(..)));
        assert!(matches!(sorted("Weird", 429), SourceError::Throttled(..)));
        assert!(matches!(sorted("InternalFailure", 500), SourceError::Failed(..)));
    }

    #[test]
    fn a_service_error_names_the_service_that_failed() {
        let elb = classify_service_error(Service::ElasticLoadBalancing, "DescribeListeners", "Throttling", 400);
        assert_eq!(
            elb.to_string(),
            "Elastic Load Balancing throttled the request (DescribeListeners: Throttling); try again in a moment"
        );
        let cloudwatch = classify_service_error(Service::CloudWatch, "GetMetricData", "InternalFailure", 500);
        assert_eq!(cloudwatch.to_string(), "CloudWatch failed: GetMetricData: InternalFailure");
    }
}

//! The demo's CloudTrail: two minutes before `checkout-tls` starts failing,
//! a ModifyListener moves `payments-alb`'s HTTPS listener to the policy it
//! has now (whose backend policy offers no TLS 1.3); an hour earlier a
//! RegisterTargets adds targets to `edge-alb`'s `web-blue` (both in the
//! home scope: the others' trails are empty). The records are
//! shaped like AWS's, so they go through the same rules as real ones.

use async_trait::async_trait;
use serde_json::json;
use tlswatch_shared::changes::{EVENT_SOURCE, TrailEvent};

use super::demo::{DemoSource, Place};
use super::{ChangeSource, Scope, SourceError, Trail};

const ACCOUNT_ID: &str = "123456789012";

impl DemoSource {
    /// Every event of the demo's trail, newest first.
    fn events(&self, scope: &Scope) -> Vec<TrailEvent> {
        if Place::of(scope) != Place::Home {
            return Vec::new();
        }
        let region = scope.region.to_string();
        let arn = |resource: &str| format!("arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:{resource}");
        let listener = arn("listener/app/payments-alb/3e9c1f0a7b2d4c68/f2f7dc8efc522ab2");
        let modify = json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::{ACCOUNT_ID}:user/alice"), "userName": "alice"},
            "eventSource": EVENT_SOURCE,
            "eventName": "ModifyListener",
            "awsRegion": region,
            "requestParameters": {"listenerArn": listener, "sslPolicy": "ELBSecurityPolicy-2016-08"},
            "responseElements": {"listeners": [{"listenerArn": listener, "port": 443, "protocol": "HTTPS",
                "sslPolicy": "ELBSecurityPolicy-2016-08"}]},
        });
        let register = json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "AssumedRole",
                "arn": format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/deployer/pipeline-1187")},
            "eventSource": EVENT_SOURCE,
            "eventName": "RegisterTargets",
            "awsRegion": region,
            "requestParameters": {"targetGroupArn": arn("targetgroup/web-blue/6d0ecf831eec9f09"),
                "targets": [{"id": "10.0.1.21", "port": 8443}, {"id": "10.0.2.21", "port": 8443}]},
            "responseElements": null,
        });
        vec![
            TrailEvent {
                event_id: "7c1f3e2a-demo-4b6d-9a51-modifylistener".to_string(),
                event_name: "ModifyListener".to_string(),
                event_time: self.onset() - 120,
                cloudtrail_event: modify.to_string(),
            },
            TrailEvent {
                event_id: "0b9d5a7e-demo-4f21-8c33-registertargets".to_string(),
                event_name: "RegisterTargets".to_string(),
                event_time: self.onset() - 3_720,
                cloudtrail_event: register.to_string(),
            },
        ]
    }
}

#[async_trait]
impl ChangeSource for DemoSource {
    async fn trail(&self, scope: &Scope, start: i64, end: i64, _max_events: usize) -> Result<Trail, SourceError> {
        let now = self.now();
        let events = self.events(scope).into_iter().filter(|e| (start..end.min(now)).contains(&e.event_time)).collect();
        Ok(Trail { events, complete_from: None })
    }
}

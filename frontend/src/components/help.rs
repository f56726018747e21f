//! What the metrics count and what usually causes them, from AWS's
//! documentation of Application Load Balancers.

use leptos::prelude::*;

#[component]
pub fn HelpPanel() -> impl IntoView {
    view! {
        <details class="help" id="help">
            <summary>"What these errors mean and what usually causes them"</summary>
            <p>
                <strong>"TargetTLSNegotiationErrorCount"</strong>
                " counts TLS connections that the load balancer started towards a target and that did not \
                establish a session. CloudWatch reports it only when errors happen, so no datapoint means no \
                errors. "
                <strong>"ClientTLSNegotiationErrorCount"</strong>
                " counts connections that clients started and that did not establish a session with the \
                listener: a client-side count points at the listener's security policy or certificate, a \
                target-side count at the targets."
            </p>
            <p>"Usual causes of target-side errors:"</p>
            <ul>
                <li>
                    "The target accepts only protocol versions or ciphers outside the policy the load balancer \
                    uses towards targets. That policy is not chosen directly: it follows the listener's policy \
                    (ELBSecurityPolicy-TLS13-1-0-2021-06 behind a TLS 1.3 policy, \
                    ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04 behind a FIPS policy, ELBSecurityPolicy-2016-08 \
                    otherwise). A backend hardened to TLS 1.3 only, or to ciphers outside that list, fails here."
                </li>
                <li>
                    "The target does not speak TLS on the target port: an HTTPS target group pointing at a \
                    plain-HTTP port, a health check port that differs from the traffic port, or a sidecar \
                    that terminates TLS elsewhere."
                </li>
                <li>"Handshakes that time out or are reset: an overloaded target, or a firewall dropping the connection."</li>
            </ul>
            <p>
                "Not a cause: expired or self-signed certificates on targets. The load balancer does not \
                validate target certificates, so those do not produce these errors."
            </p>
            <p class="sources">
                "Sources (AWS documentation): "
                <a href="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html">
                    "CloudWatch metrics for your Application Load Balancer"
                </a>
                "; "
                <a href="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html">
                    "Security policies for your Application Load Balancer"
                </a>
                "; "
                <a href="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html">
                    "Target groups for your Application Load Balancers"
                </a>
                "."
            </p>
        </details>
    }
}

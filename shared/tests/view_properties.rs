//! Property tests of the view: writing and reading back loses nothing, and no
//! input makes the parser panic.

use proptest::prelude::*;
use tlswatch_shared::display::AlarmFormat;
use tlswatch_shared::time::TimeUnit;
use tlswatch_shared::{
    AccountName, AvailabilityZone, Breakdown, Fill, LoadBalancer, Metric, Period, Refresh, Region, Statistic,
    TargetGroup, TimeSpec, TimeZone, View,
};

fn name() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?"
}

fn id() -> impl Strategy<Value = String> {
    "[0-9a-f]{16}"
}

fn load_balancer() -> impl Strategy<Value = LoadBalancer> {
    (name(), id()).prop_map(|(name, id)| LoadBalancer::parse(&format!("app/{name}/{id}")).unwrap())
}

fn target_group() -> impl Strategy<Value = TargetGroup> {
    (name(), id()).prop_map(|(name, id)| TargetGroup::parse(&format!("targetgroup/{name}/{id}")).unwrap())
}

fn zone() -> impl Strategy<Value = AvailabilityZone> {
    "(us|eu|ap)-(east|west|south)-[1-3][a-f]".prop_map(|zone| AvailabilityZone::parse(&zone).unwrap())
}

fn statistic() -> impl Strategy<Value = Statistic> {
    prop_oneof![
        Just(Statistic::Sum),
        Just(Statistic::Average),
        Just(Statistic::Minimum),
        Just(Statistic::Maximum),
        Just(Statistic::SampleCount),
        (1u16..=10_000).prop_map(Statistic::Percentile),
    ]
}

fn time() -> impl Strategy<Value = TimeSpec> {
    let unit = prop_oneof![Just(TimeUnit::Minutes), Just(TimeUnit::Hours), Just(TimeUnit::Days), Just(TimeUnit::Weeks)];
    prop_oneof![
        Just(TimeSpec::Now),
        (0u32..=999_999, unit).prop_map(|(amount, unit)| TimeSpec::Ago { amount, unit }),
        (0i64..=253_402_300_799).prop_map(TimeSpec::At),
    ]
}

prop_compose! {
    fn view()(
        client in any::<bool>(),
        load_balancers in prop::collection::btree_set(load_balancer(), 0..4),
        target_groups in prop::collection::btree_set(target_group(), 0..3),
        zones in prop::collection::btree_set(zone(), 0..3),
        stat in statistic(),
        period in prop_oneof![Just(Period::Auto), (1u32..=1_000).prop_map(|m| Period::Seconds(m * 60))],
        zero_fill in any::<bool>(),
        from in time(),
        to in time(),
        account in prop::option::of("[a-z0-9][a-z0-9._-]{0,20}".prop_map(|a| AccountName::parse(&a).unwrap())),
        region in prop::option::of("(us|eu)-(east|west)-[1-9]".prop_map(|r| Region::parse(&r).unwrap())),
        local in any::<bool>(),
        refresh in prop::sample::select(Refresh::ALL.to_vec()),
        csv in any::<bool>(),
        by in prop::option::of(prop_oneof![Just(Breakdown::TargetGroup), Just(Breakdown::Zone)]),
        top in 1u32..=100,
        stack in any::<bool>(),
        both in any::<bool>(),
        rate in any::<bool>(),
        alarm in prop::option::of(prop::sample::select(AlarmFormat::ALL.to_vec())),
    ) -> View {
        let metrics = if client {
            vec![Metric::ClientTlsNegotiationErrorCount]
        } else if both {
            vec![Metric::TargetTlsNegotiationErrorCount, Metric::ClientTlsNegotiationErrorCount]
        } else {
            vec![Metric::TargetTlsNegotiationErrorCount]
        };
        let client = client || both;
        View {
            metrics,
            load_balancers: load_balancers.into_iter().collect(),
            // The client-side metric is not published per target group.
            target_groups: if client { Vec::new() } else { target_groups.into_iter().collect() },
            zones: zones.into_iter().collect(),
            // The client-side metric has no per-target-group breakdown either.
            by: if client && by == Some(Breakdown::TargetGroup) { None } else { by },
            top,
            stat,
            period,
            fill: if zero_fill { Fill::Zero } else { Fill::None },
            from,
            to,
            account,
            region,
            tz: if local { TimeZone::Local } else { TimeZone::Utc },
            refresh,
            rate: rate && stat == Statistic::Sum,
            stack,
            alarm,
            format: if csv { tlswatch_shared::display::Format::Csv } else { tlswatch_shared::display::Format::Json },
        }
    }
}

proptest! {
    #[test]
    fn writing_and_reading_a_view_loses_nothing(view in view()) {
        let query = view.to_query();
        let read = View::from_query(&query).unwrap_or_else(|err| panic!("{query}: {err}"));
        prop_assert_eq!(&read, &view);
        prop_assert_eq!(read.to_query(), query);
    }

    #[test]
    fn any_query_string_is_read_or_refused_without_panicking(query in ".{0,200}") {
        if let Ok(view) = View::from_query(&query) {
            prop_assert_eq!(View::from_query(&view.to_query()), Ok(view));
        }
    }

    #[test]
    fn query_strings_of_known_keys_are_read_or_refused_without_panicking(
        pairs in prop::collection::vec(
            (
                prop::sample::select(tlswatch_shared::view::PARAMETERS.to_vec()),
                "[%a-zA-Z0-9/:+.-]{0,40}",
            ),
            0..8,
        )
    ) {
        let query: String = pairs.iter().map(|(k, v)| format!("{k}={v}&")).collect();
        if let Ok(view) = View::from_query(&query) {
            prop_assert_eq!(View::from_query(&view.to_query()), Ok(view));
        }
    }
}

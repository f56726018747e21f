//! What the components share, in one place: the view the URL names (and how
//! to change it), the catalog, what CloudWatch lists for the pickers, and
//! whether the first view has settled. The dashboard provides them once;
//! every component reads them with the `use_...()` helpers below.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};
use tlswatch_shared::api::{CatalogResponse, DimensionsResponse};
use tlswatch_shared::{View, ViewError};

use crate::api::{self, ApiFailure, dashboard_url};

/// The view the address bar names, and how to write another one to it.
#[derive(Clone, Copy)]
pub struct ViewState {
    /// The view the URL names: every parameter of it that is valid, so one
    /// bad value in a shared link does not throw the others away.
    pub view: Memo<View>,
    /// The first parameter of the URL that is not valid, if any: while there
    /// is one, the page shows it and asks the API nothing.
    pub error: Memo<Option<ViewError>>,
    /// Writes a view to the URL.
    pub set_view: Callback<View>,
}

impl ViewState {
    /// The view state of the page's URL: it follows the address bar, and
    /// every change is a navigation (so back and forward walk through views).
    fn of_the_url() -> Self {
        let location = use_location();
        let navigate = use_navigate();
        let parsed = Memo::new(move |_| View::from_query_lenient(&location.search.get()));
        let view = Memo::new(move |_| parsed.with(|(view, _)| view.clone()));
        let error = Memo::new(move |_| parsed.with(|(_, errors)| errors.first().cloned()));
        let set_view = Callback::new(move |next: View| {
            navigate(&dashboard_url(&next.to_query()), NavigateOptions { scroll: false, ..Default::default() });
        });
        Self { view, error, set_view }
    }

    /// The view: the URL's valid parameters, the defaults for the rest.
    pub fn current(&self) -> View {
        self.view.get()
    }

    /// Whether the URL is a view as it stands.
    pub fn is_valid(&self) -> bool {
        self.error.with(Option::is_none)
    }

    /// Applies `change` to the current view and writes the result to the URL.
    pub fn update(&self, change: impl FnOnce(&mut View)) {
        let mut view = self.current();
        change(&mut view);
        self.set_view.run(view);
    }
}

/// Why the view shows no data: the URL's invalid parameter, or the API's
/// refusal or failure. Controls show the message beside themselves when
/// it names their parameter.
#[derive(Clone, Copy)]
pub struct Failure(pub Memo<Option<ApiFailure>>);

/// The failure of the view the dashboard shows, if any.
pub fn use_failure() -> Memo<Option<ApiFailure>> {
    expect_context::<Failure>().0
}

/// The catalog as the dashboard loaded it.
pub type CatalogResource = LocalResource<Result<CatalogResponse, ApiFailure>>;

/// What CloudWatch lists for the view's metric and region: the pickers' choices.
pub type DimensionsResource = LocalResource<Result<DimensionsResponse, ApiFailure>>;

/// Whether the first view has been drawn (or has failed): what only
/// follows the chart, such as the review, waits for it, so the first
/// chart shares the page's start with nothing it does not need.
#[derive(Clone, Copy)]
pub struct FirstViewSettled(pub RwSignal<bool>);

/// Provides the view state, the catalog, the pickers' choices and the
/// first view's progress to everything below (the dashboard does, once,
/// inside the router) and returns them. The catalog and the choices are
/// asked at once, beside the view's series: none waits for another.
pub fn provide_state() -> (ViewState, CatalogResource) {
    let state = ViewState::of_the_url();
    provide_context(state);
    let catalog: CatalogResource = LocalResource::new(api::catalog);
    provide_context(catalog);
    let key = Memo::new(move |_| {
        let view = state.current();
        (view.metric(), view.account, view.region)
    });
    let dimensions: DimensionsResource = LocalResource::new(move || {
        let (metric, account, region) = key.get();
        api::dimensions(metric, account, region)
    });
    provide_context(dimensions);
    provide_context(FirstViewSettled(RwSignal::new(false)));
    (state, catalog)
}

/// The view state the dashboard provides.
pub fn use_view_state() -> ViewState {
    expect_context()
}

/// The catalog the dashboard loads.
pub fn use_catalog() -> CatalogResource {
    expect_context()
}

/// The pickers' choices the dashboard loads.
pub fn use_dimensions() -> DimensionsResource {
    expect_context()
}

/// Whether the first view has been drawn or has failed.
pub fn use_first_view_settled() -> RwSignal<bool> {
    expect_context::<FirstViewSettled>().0
}

//! What the components share, in one place: the view the URL names (and how
//! to change it) and the catalog. The dashboard provides both once; every
//! component reads them with `use_view_state()` and `use_catalog()`.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};
use tlswatch_shared::api::CatalogResponse;
use tlswatch_shared::{View, ViewError};

use crate::api::{self, ApiFailure};

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
            let query = next.to_query();
            let url = if query.is_empty() { "/".to_string() } else { format!("/?{query}") };
            navigate(&url, NavigateOptions { scroll: false, ..Default::default() });
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

/// Provides the view state and the catalog to everything below (the
/// dashboard does, once, inside the router) and returns them.
pub fn provide_state() -> (ViewState, CatalogResource) {
    let state = ViewState::of_the_url();
    provide_context(state);
    let catalog: CatalogResource = LocalResource::new(api::catalog);
    provide_context(catalog);
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

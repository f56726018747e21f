//! What the components share, in one place: the view the URL names (and how
//! to change it) and the catalog. The dashboard provides both once; every
//! component reads them with `use_view_state()` and `use_catalog()`.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};
use tlswatch_shared::View;
use tlswatch_shared::api::CatalogResponse;

use crate::api::{self, ApiFailure};

/// The view the address bar names, and how to write another one to it.
#[derive(Clone, Copy)]
pub struct ViewState {
    /// The view the URL names, or why it is not one.
    pub view: Memo<Result<View, tlswatch_shared::ViewError>>,
    /// Writes a view to the URL.
    pub set_view: Callback<View>,
}

impl ViewState {
    /// The view state of the page's URL: it follows the address bar, and
    /// every change is a navigation (so back and forward walk through views).
    fn of_the_url() -> Self {
        let location = use_location();
        let navigate = use_navigate();
        let view = Memo::new(move |_| View::from_query(&location.search.get()));
        let set_view = Callback::new(move |next: View| {
            let query = next.to_query();
            let url = if query.is_empty() { "/".to_string() } else { format!("/?{query}") };
            navigate(&url, NavigateOptions { scroll: false, ..Default::default() });
        });
        Self { view, set_view }
    }

    /// The view, or the default one while the URL is not a view.
    pub fn current(&self) -> View {
        self.view.get().unwrap_or_default()
    }

    /// Applies `change` to the current view and writes the result to the URL.
    pub fn update(&self, change: impl FnOnce(&mut View)) {
        let mut view = self.current();
        change(&mut view);
        self.set_view.run(view);
    }
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

-- A reload reuses the session's view of a document (store::pages::session_view): found by
-- session, not by walking the share's views.
CREATE INDEX page_views_session ON page_views (org_id, session_id, document_id, created_at);

"""Residents' reports: the Open311 endpoint, the moderation API and the report page, as one
router for the service to include."""

from __future__ import annotations

from fastapi import APIRouter

from basuracero.api import open311, report_admin, report_page

router = APIRouter()
router.include_router(open311.router)
router.include_router(report_admin.router)
router.include_router(report_page.router)

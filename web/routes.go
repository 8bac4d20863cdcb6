package web

import "github.com/gofiber/fiber/v2"

// routes is the one table of CivicFlow's HTTP routes, each with the permission it needs.
func (s *Server) routes() {
	const get, post, put, del = fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodDelete

	// Operations.
	s.route(get, "/healthz", Public, s.health)
	s.route(get, "/readyz", Public, s.ready)
	if s.Metrics != nil {
		s.route(get, "/metrics", NeedEverywhere("metrics", "read"), s.metrics)
	}
	s.route(get, "/static/*", Public, s.static)

	// Pages.
	s.route(get, "/", Public, s.home)
	s.route(get, "/login", Public, s.loginPage)
	s.route(post, "/login", Public, s.login)
	s.route(post, "/logout", LoggedIn, s.logout)
	s.route(post, "/lang", Public, s.setLanguage)
	s.route(get, "/messages", LoggedIn, s.messagesPage)
	s.route(post, "/messages/:id/read", LoggedIn, s.markReadPage)
	s.route(get, "/account", LoggedIn, s.accountPage)
	s.route(post, "/account/tokens", LoggedIn, s.createTokenPage)
	s.route(post, "/account/tokens/:id/revoke", LoggedIn, s.revokeTokenPage)
	s.route(get, "/admin/users", Need("user", "read"), s.usersPage)
	s.route(post, "/admin/users", Need("user", "write"), s.createUserPage)
	s.route(post, "/admin/grants", Need("role", "grant"), s.grantPage)
	s.route(post, "/admin/grants/revoke", Need("role", "grant"), s.revokePage)
	s.route(get, "/admin/deliveries", NeedEverywhere("delivery", "read"), s.deliveriesPage)
	s.route(get, "/admin/audit", Need("audit", "read"), s.auditPage)
	s.route(get, "/admin/catalog", Need("catalog", "read"), s.adminCatalogPage)
	s.route(get, "/admin/calendar", Need("calendar", "read"), s.calendarPage)
	s.route(get, "/admin/statistics", Need("statistics", "read"), s.statisticsPage)
	s.route(get, "/admin/statistics.csv", Need("statistics", "read"), s.statisticsCSV)
	s.route(post, "/admin/calendar/overrides", Need("calendar", "write"), s.setOverridePage)
	s.route(post, "/admin/calendar/overrides/remove", Need("calendar", "write"), s.removeOverridePage)
	s.route(get, "/catalog", Public, s.catalogPage)
	s.route(get, "/catalog/:code", Public, s.guidePage)
	s.route(get, "/catalog/:code/flowchart.svg", Public, s.flowchart)
	s.route(get, "/catalog/:code/apply", Need("case", "apply"), s.applyPage)
	s.route(post, "/catalog/:code/apply", Need("case", "apply"), s.applyPost)
	s.route(get, "/cases", LoggedIn, s.myCasesPage)
	s.route(get, "/drafts/:code/discard", LoggedIn, s.discardDraftPage)
	s.route(post, "/drafts/:code/discard", LoggedIn, s.discardDraftPost)
	s.route(get, "/cases/:id", LoggedIn, s.casePage)
	s.route(get, "/cases/:id/edit", LoggedIn, s.editPage)
	s.route(post, "/cases/:id/edit", LoggedIn, s.editPost)
	s.route(post, "/cases/:id/actions/:action", LoggedIn, s.actionPost)
	s.route(get, "/inbox", Need("case", "read"), s.inboxPage)
	s.route(get, "/materials/:id", LoggedIn, s.download)
	s.route(get, "/documents/:id", LoggedIn, s.downloadDocument)
	s.route(get, "/verify", Public, s.verifyLookupPage)
	s.route(get, "/verify/:code", Public, s.verifyPage)
	s.route(post, "/verify/:code", Public, s.verifyUploadPage)
	s.route(get, "/appointments", Public, s.appointmentsPage)
	s.route(get, "/appointments/offices/:id", Public, s.officeSlotsPage)
	s.route(get, "/appointments/book", Need("appointment", "book"), s.bookPage)
	s.route(post, "/appointments/book", Need("appointment", "book"), s.bookPost)
	s.route(get, "/appointments/mine", LoggedIn, s.myBookingsPage)
	s.route(get, "/appointments/mine/:id", LoggedIn, s.bookingPage)
	s.route(get, "/appointments/mine/:id/calendar.ics", LoggedIn, s.sendICS)
	s.route(post, "/appointments/mine/:id/move", LoggedIn, s.movePost)
	s.route(post, "/appointments/mine/:id/cancel", LoggedIn, s.cancelPost)
	s.route(get, "/office/:id/day", Need("appointment", "read"), s.daySheetPage)
	s.route(post, "/office/:id/check-in", Need("appointment", "checkin"), s.checkInPost)
	s.route(post, "/office/bookings/:id/open-case", Need("appointment", "checkin"), s.openCasePost)
	s.route(get, "/register", Public, s.registerPage)
	s.route(get, "/register.csv", Public, s.registerCSV)
	s.route(get, "/register/:uscc", Public, s.organisationPage)

	// Notices (公告) and 双公示: public pages and feeds; staff write, publishers review.
	s.route(get, "/notices", Public, s.noticesPage)
	s.route(get, "/notices/feed/:feed", Public, s.noticeFeed)
	s.route(get, "/notices/:id", Public, s.noticePage)
	s.route(get, "/notices/:id/attachments/:file", Public, s.noticeAttachment)
	s.route(get, "/notices/:id/edit", Need("notice", "write"), s.editNoticePage)
	s.route(post, "/notices/:id/edit", Need("notice", "write"), s.editNoticePost)
	s.route(post, "/notices/:id/submit", Need("notice", "write"), s.noticeStepPost("submit"))
	s.route(post, "/notices/:id/approve", Need("notice", "review"), s.noticeStepPost("approve"))
	s.route(post, "/notices/:id/return", Need("notice", "review"), s.noticeStepPost("return"))
	s.route(post, "/notices/:id/withdraw", Need("notice", "review"), s.noticeStepPost("withdraw"))
	s.route(get, "/admin/notices", Need("notice", "read"), s.staffNoticesPage)
	s.route(post, "/admin/notices", Need("notice", "write"), s.createNoticePost)
	s.route(get, "/admin/offices", Need("office", "read"), s.officesPage)
	s.route(post, "/admin/offices", Need("office", "write"), s.createOfficePost)
	s.route(get, "/admin/offices/:id", Need("office", "read"), s.officePage)
	s.route(post, "/admin/offices/:id", Need("office", "write"), s.updateOfficePost)
	s.route(post, "/admin/offices/:id/days", Need("office", "write"), s.setOfficeDayPost)
	s.route(post, "/admin/offices/:id/days/remove", Need("office", "write"), s.removeOfficeDayPost)

	// The service hall: site search and public progress lookup by case number and query code.
	s.route(get, "/search", Public, s.searchPage)
	s.route(get, "/progress", Public, s.progressPage)

	// Forms that respect people's time: the template of a repeat's list, and a guide's templates.
	s.route(get, "/catalog/:code/tables/:file", Public, s.tableTemplate)
	s.route(get, "/catalog/:code/templates/:file", Public, s.guideTemplate)

	// Assignment (承办人) and internal notes on the case page.
	s.route(post, "/cases/:id/assignment", Need("case", "assign"), s.assignPost)
	s.route(post, "/cases/:id/notes", Need("case", "note"), s.notePost)

	// The staff desk: the search of the cases of the caller's jurisdictions, finished ones included.
	s.route(get, "/desk", Need("case", "read"), s.deskPage)

	// Organisations and the people who act for them: applicants' binding requests, staff decisions.
	s.route(get, "/account/organisations", LoggedIn, s.myOrganisationsPage)
	s.route(post, "/account/organisations", Need("binding", "request"), s.requestBindingPost)
	s.route(post, "/account/organisations/:id/unbind", LoggedIn, s.unbindOwnPost)
	s.route(get, "/bindings/:id/letter", LoggedIn, s.bindingLetterDownload)
	s.route(get, "/admin/bindings", Need("binding", "read"), s.staffBindingsPage)
	s.route(post, "/admin/bindings/:id/approve", Need("binding", "review"), s.bindingStepPost("approve"))
	s.route(post, "/admin/bindings/:id/refuse", Need("binding", "review"), s.bindingStepPost("refuse"))
	s.route(post, "/admin/bindings/:id/unbind", Need("binding", "review"), s.bindingStepPost("unbind"))

	// Accounts: sign-up with an SMS code, password reset and change, sessions (signup_pages.go).
	s.route(get, "/signup", Public, s.signupPage)
	s.route(post, "/signup", Public, s.signupPost)
	s.route(get, "/signup/confirm", Public, s.signupConfirmPage)
	s.route(post, "/signup/confirm", Public, s.signupConfirmPost)
	s.route(post, "/signup/kind", LoggedIn, s.signupKindPost)
	s.route(get, "/password/reset", Public, s.resetPage)
	s.route(post, "/password/reset", Public, s.resetPost)
	s.route(get, "/password/reset/confirm", Public, s.resetConfirmPage)
	s.route(post, "/password/reset/confirm", Public, s.resetConfirmPost)
	s.route(get, "/account/security", LoggedIn, s.securityPage)
	s.route(post, "/account/password", LoggedIn, s.changePasswordPost)
	s.route(post, "/account/sessions/end-others", LoggedIn, s.endOtherSessionsPost)

	// Single sign-on through the unified identity platform (统一身份认证); 404 when it is off.
	s.route(post, "/login/sso", Public, s.ssoStart)
	s.route(get, "/login/sso/callback", Public, s.ssoCallback)
	s.route(get, "/account/sso", LoggedIn, s.ssoAccountPage)
	s.route(post, "/account/sso/link", LoggedIn, s.ssoLinkPost)
	s.route(post, "/account/sso/unlink", LoggedIn, s.ssoUnlinkPost)

	// JSON API, described by openapi.json.
	s.route(get, "/api/v1/openapi.json", Public, s.openAPI)
	s.route(post, "/api/v1/tokens", Public, s.apiCreateToken)
	s.route(get, "/api/v1/me", LoggedIn, s.apiMe)
	s.route(get, "/api/v1/me/messages", LoggedIn, s.apiMessages)
	s.route(post, "/api/v1/me/messages/:id/read", LoggedIn, s.apiMarkRead)
	s.route(get, "/api/v1/jurisdictions", Public, s.apiJurisdictions)
	s.route(get, "/api/v1/calendar/holidays", Public, s.apiHolidays)
	s.route(get, "/api/v1/calendar/due", Public, s.apiDue)
	s.route(get, "/api/v1/calendar/overrides", Need("calendar", "read"), s.apiOverrides)
	s.route(post, "/api/v1/calendar/overrides", Need("calendar", "write"), s.apiSetOverride)
	s.route(del, "/api/v1/calendar/overrides", Need("calendar", "write"), s.apiRemoveOverride)
	s.route(get, "/api/v1/users", Need("user", "read"), s.apiUsers)
	s.route(post, "/api/v1/users", Need("user", "write"), s.apiCreateUser)
	s.route(get, "/api/v1/users/:id/grants", Need("role", "read"), s.apiGrants)
	s.route(post, "/api/v1/users/:id/grants", Need("role", "grant"), s.apiGrant)
	s.route(del, "/api/v1/users/:id/grants", Need("role", "grant"), s.apiRevoke)
	s.route(get, "/api/v1/deliveries/failed", NeedEverywhere("delivery", "read"), s.apiFailedDeliveries)
	s.route(get, "/api/v1/audit", Need("audit", "read"), s.apiAudit)
	s.route(get, "/api/v1/statistics", Need("statistics", "read"), s.apiStatistics)
	s.route(get, "/api/v1/catalog", Public, s.apiCatalog)
	s.route(get, "/api/v1/catalog/:code", Public, s.apiCatalogItem)
	s.route(get, "/api/v1/catalog/:code/form-schema", Public, s.apiFormSchema)
	s.route(get, "/api/v1/drafts/:code", Need("case", "apply"), s.apiDraft)
	s.route(put, "/api/v1/drafts/:code", Need("case", "apply"), s.apiSaveDraft)
	s.route(post, "/api/v1/materials", Need("case", "apply"), s.apiUpload)
	s.route(get, "/api/v1/materials/:id", LoggedIn, s.download)
	s.route(get, "/api/v1/documents/:id", LoggedIn, s.downloadDocument)
	s.route(get, "/api/v1/verify-key", Public, s.apiVerifyKey)
	s.route(get, "/api/v1/verify/:code", Public, s.apiVerify)
	s.route(post, "/api/v1/verify/:code", Public, s.apiVerifyUpload)
	s.route(post, "/api/v1/cases", Need("case", "apply"), s.apiStart)
	s.route(get, "/api/v1/cases", LoggedIn, s.apiMyCases)
	s.route(get, "/api/v1/cases/:id", LoggedIn, s.apiCase)
	s.route(post, "/api/v1/cases/:id/actions", LoggedIn, s.apiApply)
	s.route(get, "/api/v1/inbox", Need("case", "read"), s.apiInbox)
	s.route(get, "/api/v1/offices", Public, s.apiOffices)
	s.route(post, "/api/v1/offices", Need("office", "write"), s.apiCreateOffice)
	s.route(get, "/api/v1/offices/:id", Public, s.apiOffice)
	s.route(put, "/api/v1/offices/:id", Need("office", "write"), s.apiUpdateOffice)
	s.route(get, "/api/v1/offices/:id/slots", Public, s.apiSlots)
	s.route(get, "/api/v1/offices/:id/days", Public, s.apiBookableDays)
	s.route(post, "/api/v1/offices/:id/days", Need("office", "write"), s.apiSetOfficeDay)
	s.route(del, "/api/v1/offices/:id/days", Need("office", "write"), s.apiRemoveOfficeDay)
	s.route(get, "/api/v1/offices/:id/day-sheet", Need("appointment", "read"), s.apiDaySheet)
	s.route(post, "/api/v1/offices/:id/check-in", Need("appointment", "checkin"), s.apiCheckIn)
	s.route(post, "/api/v1/bookings", Need("appointment", "book"), s.apiBook)
	s.route(get, "/api/v1/bookings", LoggedIn, s.apiMyBookings)
	s.route(get, "/api/v1/bookings/:id", LoggedIn, s.apiBooking)
	s.route(post, "/api/v1/bookings/:id/move", LoggedIn, s.apiMove)
	s.route(post, "/api/v1/bookings/:id/cancel", LoggedIn, s.apiCancel)
	s.route(get, "/api/v1/bookings/:id/calendar.ics", LoggedIn, s.sendICS)
	s.route(post, "/api/v1/bookings/:id/open-case", Need("appointment", "checkin"), s.apiOpenCase)
	s.route(get, "/api/v1/me/ban", LoggedIn, s.apiMyBan)
	s.route(get, "/api/v1/register", Public, s.apiRegister)
	s.route(get, "/api/v1/register/:uscc", Public, s.apiOrganisation)

	// The service hall's API: public progress lookup.
	s.route(get, "/api/v1/progress", Public, s.apiProgress)
	s.route(get, "/api/v1/notices", Public, s.apiNotices)
	s.route(get, "/api/v1/notices/:id", Public, s.apiNotice)

	// Forms: a member list read for a repeat, checked, not saved.
	s.route(post, "/api/v1/catalog/:code/tables/:repeat", Need("case", "apply"), s.apiTableImport)

	// Assignment (承办人) and internal notes.
	s.route(get, "/api/v1/cases/:id/reviewers", Need("case", "assign"), s.apiReviewers)
	s.route(post, "/api/v1/cases/:id/assignment", Need("case", "assign"), s.apiAssign)
	s.route(get, "/api/v1/cases/:id/notes", LoggedIn, s.apiNotes)
	s.route(post, "/api/v1/cases/:id/notes", Need("case", "note"), s.apiAddNote)

	// The staff desk's API: the search of cases.
	s.route(get, "/api/v1/desk/cases", Need("case", "read"), s.apiDeskCases)

	// Organisation bindings.
	s.route(get, "/api/v1/bindings", LoggedIn, s.apiMyBindings)
	s.route(post, "/api/v1/bindings", Need("binding", "request"), s.apiRequestBinding)
	s.route(get, "/api/v1/bindings/review", Need("binding", "read"), s.apiBindingsToReview)
	s.route(get, "/api/v1/bindings/:id", LoggedIn, s.apiBinding)
	s.route(get, "/api/v1/bindings/:id/letter", LoggedIn, s.bindingLetterDownload)
	s.route(post, "/api/v1/bindings/:id/approve", Need("binding", "review"), s.apiBindingStep("approve"))
	s.route(post, "/api/v1/bindings/:id/refuse", Need("binding", "review"), s.apiBindingStep("refuse"))
	s.route(post, "/api/v1/bindings/:id/unbind", LoggedIn, s.apiBindingStep("unbind"))

	// Credit lists (活动异常名录, 严重违法失信名单; credit_pages.go): the public lists and an
	// organisation's entries, staff listing and removing in their jurisdictions.
	s.route(get, "/credit/:list", Public, s.creditListPage)
	s.route(get, "/admin/credit", Need("credit", "read"), s.staffCreditPage)
	s.route(post, "/admin/credit", Need("credit", "write"), s.creditListPost)
	s.route(post, "/admin/credit/:id/remove", Need("credit", "write"), s.creditRemovePost)
	s.route(get, "/api/v1/credit/:list", Public, s.apiCreditList)
	s.route(get, "/api/v1/register/:uscc/credit", Public, s.apiOrganisationCredit)
	s.route(post, "/api/v1/credit-listings", Need("credit", "write"), s.apiCreditListing)
	s.route(post, "/api/v1/credit-listings/:id/remove", Need("credit", "write"), s.apiCreditRemove)

	// Annual-report campaigns (campaigns_api.go, campaigns_pages.go).
	s.route(get, "/api/v1/campaigns", Need("campaign", "read"), s.apiCampaigns)
	s.route(post, "/api/v1/campaigns", Need("campaign", "open"), s.apiOpenCampaign)
	s.route(get, "/api/v1/campaigns/:id", Need("campaign", "read"), s.apiCampaign)
	s.route(post, "/api/v1/campaigns/:id/results", Need("campaign", "publish"), s.apiPublishResults)

	// Procedures about an organisation: the application's start from the register.
	s.route(get, "/api/v1/catalog/:code/prefill", Need("case", "apply"), s.apiPrefill)

	// The pages of annual-report campaigns (campaigns_pages.go): the list with each
	// campaign's totals, the opening form, a campaign with its statistics and its results' publication.
	s.route(get, "/admin/campaigns", Need("campaign", "read"), s.campaignsPage)
	s.route(get, "/admin/campaigns/new", Need("campaign", "open"), s.newCampaignPage)
	s.route(post, "/admin/campaigns", Need("campaign", "open"), s.openCampaignPost)
	s.route(get, "/admin/campaigns/:id", Need("campaign", "read"), s.campaignPage)
	s.route(post, "/admin/campaigns/:id/results", Need("campaign", "publish"), s.publishResultsPost)

	// The annual disclosure report (disclosure_report_pages.go): the page with its
	// tables, the disclosure office's figures, sections and review and lawsuit records, the API and exports.
	s.route(get, "/admin/disclosure/report", Need("disclosure", "report"), s.disclosureReportPage)
	s.route(post, "/admin/disclosure/report/figures", Need("disclosure", "write"), s.disclosureFiguresPost)
	s.route(post, "/admin/disclosure/report/sections", Need("disclosure", "write"), s.disclosureSectionsPost)
	s.route(post, "/admin/disclosure/report/remedies", Need("disclosure", "write"), s.disclosureRemedyAddPost)
	s.route(post, "/admin/disclosure/report/remedies/:id", Need("disclosure", "write"), s.disclosureRemedyUpdatePost)
	s.route(post, "/admin/disclosure/report/remedies/:id/delete", Need("disclosure", "write"), s.disclosureRemedyDeletePost)
	s.route(get, "/api/v1/disclosure/report", Need("disclosure", "report"), s.apiDisclosureReport)
	// 好差评 (ratings_pages.go): the rater's form on a finished case and a checked-in
	// booking, the rectifications of 差评 for approvers, staff's own ratings, the public statistics.
	s.route(get, "/ratings", Public, s.ratingsPage)
	s.route(get, "/ratings/statistics.csv", Public, s.ratingsCSV)
	s.route(post, "/cases/:id/rating", LoggedIn, s.rateCasePost)
	s.route(post, "/appointments/mine/:id/rating", LoggedIn, s.rateVisitPost)
	s.route(get, "/staff/ratings", LoggedIn, s.ownRatingsPage)
	s.route(get, "/admin/ratings", Need("rating", "read"), s.staffRatingsPage)
	s.route(get, "/admin/ratings/:id", Need("rating", "read"), s.rectificationPage)
	s.route(post, "/admin/ratings/:id/:step", Need("rating", "rectify"), s.rectificationStepPost)
	s.route(get, "/api/v1/cases/:id/rating", LoggedIn, s.apiCaseRating)
	s.route(post, "/api/v1/cases/:id/rating", LoggedIn, s.apiRateCase)
	s.route(get, "/api/v1/bookings/:id/rating", LoggedIn, s.apiVisitRating)
	s.route(post, "/api/v1/bookings/:id/rating", LoggedIn, s.apiRateVisit)
	s.route(get, "/api/v1/ratings/statistics", Public, s.apiRatingStatistics)
	// Information on request (依申请公开; disclosure_pages.go): the disclosure
	// office's page and API of open requests and of requests received by letter, fax, e-mail or in
	// person; staff attach the information a reply discloses to the case.
	s.route(get, "/disclosure", Need("disclosure", "read"), s.disclosurePage)
	s.route(post, "/disclosure/requests", Need("disclosure", "enter"), s.disclosureEnterPost)
	s.route(get, "/api/v1/disclosure/requests", Need("disclosure", "read"), s.apiDisclosureRequests)
	s.route(post, "/api/v1/disclosure/requests", Need("disclosure", "enter"), s.apiDisclosureEnter)
	s.route(post, "/api/v1/cases/:id/materials", LoggedIn, s.apiCaseUpload)

	// Accounts' API: sign-up with an SMS code, password reset and change, sessions (signup_api.go).
	s.route(post, "/api/v1/signup/code", Public, s.apiSignupCode)
	s.route(post, "/api/v1/signup", Public, s.apiSignup)
	s.route(post, "/api/v1/password-reset/code", Public, s.apiResetCode)
	s.route(post, "/api/v1/password-reset", Public, s.apiReset)
	s.route(post, "/api/v1/me/password", LoggedIn, s.apiChangePassword)
	s.route(get, "/api/v1/me/sessions", LoggedIn, s.apiSessions)
	s.route(post, "/api/v1/me/sessions/end-others", LoggedIn, s.apiEndOtherSessions)

	// Consultations, complaints and suggestions (咨询 / 投诉 / 建议;
	// inquiries_pages.go, inquiries_api.go): anyone submits and tracks, the asker rates, staff of the
	// jurisdiction answer, the publisher reviews replies for the public Q&A list.
	s.route(get, "/inquiries/new", Public, s.newInquiryPage)
	s.route(post, "/inquiries/new", Public, s.newInquiryPost)
	s.route(get, "/inquiries/track", Public, s.trackInquiryPage)
	s.route(post, "/inquiries/rate", Public, s.rateInquiryPost)
	s.route(get, "/inquiries/mine", LoggedIn, s.myInquiriesPage)
	s.route(get, "/inquiries/mine/:id", LoggedIn, s.myInquiryPage)
	s.route(get, "/qa", Public, s.qaPage)
	s.route(get, "/admin/inquiries", Need("inquiry", "read"), s.staffInquiriesPage)
	s.route(get, "/admin/inquiries/publication", Need("inquiry", "publish"), s.publicationPage)
	s.route(get, "/admin/inquiries/:id", Need("inquiry", "read"), s.staffInquiryPage)
	s.route(post, "/admin/inquiries/:id/reply", Need("inquiry", "reply"), s.replyInquiryPost)
	s.route(post, "/admin/inquiries/:id/publication", Need("inquiry", "publish"), s.publicationPost)
	s.route(post, "/api/v1/inquiries", Public, s.apiSubmitInquiry)
	s.route(get, "/api/v1/inquiries", Need("inquiry", "read"), s.apiStaffInquiries)
	s.route(get, "/api/v1/inquiries/mine", LoggedIn, s.apiMyInquiries)
	s.route(get, "/api/v1/inquiries/track", Public, s.apiTrackInquiry)
	s.route(post, "/api/v1/inquiries/rating", Public, s.apiRateInquiry)
	s.route(get, "/api/v1/inquiries/statistics", Need("inquiry", "read"), s.apiInquiryStatistics)
	s.route(get, "/api/v1/inquiries/publication", Need("inquiry", "publish"), s.apiPublicationQueue)
	s.route(get, "/api/v1/inquiries/:id", Need("inquiry", "read"), s.apiStaffInquiry)
	s.route(post, "/api/v1/inquiries/:id/reply", Need("inquiry", "reply"), s.apiReplyInquiry)
	s.route(post, "/api/v1/inquiries/:id/publication", Need("inquiry", "publish"), s.apiDecidePublication)
	s.route(get, "/api/v1/qa", Public, s.apiQA)
	// 征求意见, drafts put to public comment (consultations_pages.go,
	// consultations_api.go): the public list and drafts with the comment form, staff writing,
	// reviewing, moderating, answering and publishing the adoption report.
	s.route(get, "/consultations", Public, s.consultationsPage)
	s.route(get, "/consultations/:id", Public, s.consultationPage)
	s.route(post, "/consultations/:id/comments", Public, s.consultationCommentPost)
	s.route(get, "/consultations/:id/attachments/:file", Public, s.consultationAttachment)
	s.route(get, "/admin/consultations", Need("consultation", "read"), s.staffConsultationsPage)
	s.route(post, "/admin/consultations", Need("consultation", "write"), s.createConsultationPost)
	s.route(get, "/admin/consultations/:id", Need("consultation", "read"), s.staffConsultationPage)
	s.route(post, "/admin/consultations/:id/edit", Need("consultation", "write"), s.editConsultationPost)
	s.route(post, "/admin/consultations/:id/submit", Need("consultation", "write"), s.consultationStepPost("submit"))
	s.route(post, "/admin/consultations/:id/approve", Need("consultation", "review"), s.consultationStepPost("approve"))
	s.route(post, "/admin/consultations/:id/return", Need("consultation", "review"), s.consultationStepPost("return"))
	s.route(post, "/admin/consultations/:id/comments/:comment/moderate", Need("consultation", "read"), s.moderateCommentPost)
	s.route(post, "/admin/consultations/:id/responses", Need("consultation", "write"), s.respondPost)
	s.route(post, "/admin/consultations/:id/report", Need("consultation", "write"), s.consultationStepPost("report"))
	s.route(post, "/admin/consultations/:id/report/approve", Need("consultation", "review"), s.consultationStepPost("report_approve"))
	s.route(post, "/admin/consultations/:id/report/return", Need("consultation", "review"), s.consultationStepPost("report_return"))
	s.route(get, "/api/v1/consultations", Public, s.apiConsultations)
	s.route(post, "/api/v1/consultations", Need("consultation", "write"), s.apiCreateConsultation)
	s.route(get, "/api/v1/consultations/:id", Public, s.apiConsultation)
	s.route(post, "/api/v1/consultations/:id/comments", Public, s.apiConsultationComment)
	s.route(post, "/api/v1/consultations/:id/actions", Need("consultation", "read"), s.apiConsultationAction)
	s.route(post, "/api/v1/consultations/:id/comments/:comment/moderation", Need("consultation", "read"), s.apiModerateComment)
	s.route(post, "/api/v1/consultations/:id/responses", Need("consultation", "write"), s.apiRespond)
}

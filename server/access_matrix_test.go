package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/workshops"
)

// The callers of the role matrix, from no rights to all rights.
var matrixRoles = []string{"anonymous", "pending", "member", "facilitator", "moderator", "coordinator", "admin"}

// matrixCase says how to call one route and which status each caller gets.
type matrixCase struct {
	path string     // concrete path for the route pattern
	form url.Values // body for state-changing routes
	want [7]int     // status per caller, in matrixRoles order
}

// accessMatrix lists every route of the router with the expected status for
// each kind of caller. Requests ask for JSON, so refusals are plain 401/403
// statuses rather than redirects. "coordinator" coordinates the
// transparency-cop group and has the portal role member.
func accessMatrix(f matrixFixture) map[string]matrixCase {
	//                                      anon pend memb faci mode coor admi
	return map[string]matrixCase{
		"GET /healthz":                          {"/healthz", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /readyz":                           {"/readyz", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /metrics":                          {"/metrics", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /":                                 {"/", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /library":                          {"/library", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /search":                           {"/search?q=matrix", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /api/v1/search":                    {"/api/v1/search?q=matrix", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /discussions":                      {"/discussions", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /workshops":                        {"/workshops", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /members":                          {"/members", nil, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"GET /members/:id":                      {"/members/" + f.approvedID, nil, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"GET /groups":                           {"/groups", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /groups/:slug":                     {"/groups/transparency-cop", nil, [7]int{404, 404, 200, 200, 200, 200, 200}},
		"GET /groups/invite/:secret":            {"/groups/invite/unknown-secret", nil, [7]int{401, 403, 404, 404, 404, 404, 404}},
		"POST /groups/invite/:secret":           {"/groups/invite/unknown-secret", url.Values{}, [7]int{401, 403, 404, 404, 404, 404, 404}},
		"POST /groups/:slug/join":               {"/groups/national-buyers/join", url.Values{}, [7]int{401, 403, 403, 403, 403, 403, 403}},
		"POST /groups/:slug/leave":              {"/groups/ethics-working-group/leave", url.Values{}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"POST /groups/:slug/requests":           {"/groups/transparency-cop/requests", url.Values{}, [7]int{401, 403, 403, 403, 403, 303, 403}}, // open group: join instead; its coordinator is told they are in
		"POST /groups/:slug/requests/:id":       {"/groups/transparency-cop/requests/unknown", url.Values{"decision": {"approve"}}, [7]int{401, 403, 403, 403, 403, 404, 404}},
		"POST /groups/:slug/invitations":        {"/groups/transparency-cop/invitations", url.Values{"days": {"0"}}, [7]int{401, 403, 403, 403, 403, 400, 400}},
		"POST /groups/:slug/members/:id/remove": {"/groups/transparency-cop/members/" + f.approvedID + "/remove", url.Values{}, [7]int{401, 403, 403, 403, 403, 404, 404}},
		"POST /language":                        {"/language", url.Values{"lang": {"xx"}}, [7]int{400, 400, 400, 400, 400, 400, 400}},
		"GET /profile":                          {"/profile", nil, [7]int{401, 200, 200, 200, 200, 200, 200}},
		"POST /profile":                         {"/profile", url.Values{"name": {""}}, [7]int{401, 400, 400, 400, 400, 400, 400}},
		"POST /profile/time-zone":               {"/profile/time-zone", url.Values{"time_zone": {"Mars/Base"}}, [7]int{401, 400, 400, 400, 400, 400, 400}},
		"GET /profile/tokens":                   {"/profile/tokens", nil, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"POST /profile/tokens":                  {"/profile/tokens", url.Values{"name": {""}}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"POST /profile/tokens/:id/revoke":       {"/profile/tokens/unknown/revoke", url.Values{}, [7]int{401, 403, 404, 404, 404, 404, 404}},
		"GET /profile/sessions":                 {"/profile/sessions", nil, [7]int{401, 200, 200, 200, 200, 200, 200}},
		"POST /profile/sessions/others/end":     {"/profile/sessions/others/end", url.Values{}, [7]int{401, 303, 303, 303, 303, 303, 303}},
		"POST /profile/sessions/:id/end":        {"/profile/sessions/unknown/end", url.Values{}, [7]int{401, 404, 404, 404, 404, 404, 404}},
		"POST /profile/export":                  {"/profile/export", url.Values{}, [7]int{401, 200, 200, 200, 200, 200, 200}},
		"GET /profile/delete":                   {"/profile/delete", nil, [7]int{401, 200, 200, 200, 200, 200, 200}},
		"POST /profile/delete":                  {"/profile/delete", url.Values{}, [7]int{401, 400, 400, 400, 400, 400, 400}},
		"GET /admin/members":                    {"/admin/members", nil, [7]int{401, 403, 403, 403, 403, 200, 200}},
		"POST /admin/members/:id/decision":      {"/admin/members/" + f.pendingID + "/decision", url.Values{"decision": {"maybe"}}, [7]int{401, 403, 403, 403, 403, 400, 400}},
		"POST /admin/members/:id/role":          {"/admin/members/" + f.approvedID + "/role", url.Values{"role": {"emperor"}}, [7]int{401, 403, 403, 403, 403, 403, 400}},
		"POST /admin/members/:id/deactivate":    {"/admin/members/unknown/deactivate", url.Values{}, [7]int{401, 403, 403, 403, 403, 403, 404}},
		"POST /admin/members/:id/reactivate":    {"/admin/members/unknown/reactivate", url.Values{}, [7]int{401, 403, 403, 403, 403, 403, 404}},
		"GET /admin/audit":                      {"/admin/audit", nil, [7]int{401, 403, 403, 403, 403, 403, 200}},
		"GET /admin/mail":                       {"/admin/mail", nil, [7]int{401, 403, 403, 403, 403, 403, 200}},
		"GET /admin/system":                     {"/admin/system", nil, [7]int{401, 403, 403, 403, 403, 403, 200}},
		"GET /admin/backups":                    {"/admin/backups", nil, [7]int{401, 403, 403, 403, 403, 403, 200}},
		"POST /admin/backups":                   {"/admin/backups", url.Values{}, [7]int{401, 403, 403, 403, 403, 403, 303}},
		"GET /admin/backups/:id/download":       {"/admin/backups/unknown/download", nil, [7]int{401, 403, 403, 403, 403, 403, 404}},
		"POST /admin/mail/:id/retry":            {"/admin/mail/unknown/retry", url.Values{}, [7]int{401, 403, 403, 403, 403, 403, 404}},
		"POST /admin/mail/:id/discard":          {"/admin/mail/unknown/discard", url.Values{}, [7]int{401, 403, 403, 403, 403, 403, 404}},
		"GET /signin":                           {"/signin", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /setup/:secret":                    {"/setup/" + strings.Repeat("x", 43), nil, [7]int{409, 409, 409, 409, 409, 409, 409}}, // the demo has administrators
		"POST /auth/demo":                       {"/auth/demo", url.Values{"persona": {"nobody"}}, [7]int{400, 400, 400, 400, 400, 400, 400}},
		"POST /auth/logout":                     {"/auth/logout?keep", url.Values{}, [7]int{303, 303, 303, 303, 303, 303, 303}},
		"GET /auth/:provider":                   {"/auth/unknown", nil, [7]int{404, 404, 404, 404, 404, 404, 404}},
		"GET /auth/:provider/callback":          {"/auth/unknown/callback", nil, [7]int{404, 404, 404, 404, 404, 404, 404}},
		"GET /api/v1/me":                        {"/api/v1/me", nil, [7]int{401, 200, 200, 200, 200, 200, 200}},

		// The library; the resource is public and belongs to "member".
		"GET /library/feed.atom":                     {"/library/feed.atom", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /library/upload":                        {"/library/upload", nil, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"POST /library/upload":                       {"/library/upload", url.Values{}, [7]int{401, 403, 400, 400, 400, 400, 400}}, // not multipart
		"GET /library/:id":                           {"/library/" + f.resourceID, nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /library/:id/edit":                      {"/library/" + f.resourceID + "/edit", nil, [7]int{401, 403, 200, 403, 200, 403, 200}},
		"POST /library/:id/edit":                     {"/library/" + f.resourceID + "/edit", url.Values{"title": {""}}, [7]int{401, 403, 400, 403, 400, 403, 400}},
		"POST /library/:id/versions":                 {"/library/" + f.resourceID + "/versions", url.Values{}, [7]int{401, 403, 400, 403, 400, 403, 400}},
		"POST /library/:id/links":                    {"/library/" + f.resourceID + "/links", url.Values{"kind": {"bogus"}}, [7]int{401, 403, 303, 403, 303, 403, 303}},
		"POST /library/:id/bookmark":                 {"/library/" + f.resourceID + "/bookmark", url.Values{}, [7]int{401, 403, 303, 303, 303, 303, 303}},
		"POST /library/:id/used":                     {"/library/" + f.resourceID + "/used", url.Values{"where": {""}}, [7]int{401, 403, 303, 303, 303, 303, 303}},
		"POST /library/:id/report":                   {"/library/" + f.resourceID + "/report", url.Values{"reason": {""}}, [7]int{401, 403, 303, 303, 303, 303, 303}},
		"POST /library/:id/feature":                  {"/library/" + f.resourceID + "/feature", url.Values{"good_practice": {"0"}}, [7]int{401, 403, 403, 403, 303, 403, 303}},
		"POST /library/:id/reports/dismiss":          {"/library/" + f.resourceID + "/reports/dismiss", url.Values{}, [7]int{401, 403, 403, 403, 303, 403, 303}},
		"POST /library/:id/withdraw":                 {"/library/" + f.resourceID + "/withdraw", url.Values{"reason": {""}}, [7]int{401, 403, 303, 403, 303, 403, 303}},
		"GET /api/v1/resources":                      {"/api/v1/resources", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"POST /api/v1/resources":                     {"/api/v1/resources", url.Values{}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"GET /api/v1/resources/:id":                  {"/api/v1/resources/" + f.resourceID, nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /api/v1/resources/:id/file":             {"/api/v1/resources/" + f.resourceID + "/file", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /api/v1/resources/:id/versions/:n/file": {"/api/v1/resources/" + f.resourceID + "/versions/1/file", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"POST /api/v1/resources/:id/versions":        {"/api/v1/resources/" + f.resourceID + "/versions", url.Values{}, [7]int{401, 403, 400, 403, 400, 403, 400}},

		// Workshops: f.workshopID is open to all members and run by the
		// "facilitator" caller; moderators have the facilitator role too.
		"GET /workshops/new":                         {"/workshops/new", nil, [7]int{401, 403, 403, 200, 200, 403, 200}},
		"POST /workshops":                            {"/workshops", url.Values{"title": {""}}, [7]int{401, 403, 403, 422, 422, 403, 422}},
		"POST /workshops/feed":                       {"/workshops/feed", url.Values{}, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"POST /workshops/feed/revoke":                {"/workshops/feed/revoke", url.Values{}, [7]int{401, 403, 303, 303, 303, 303, 303}},
		"GET /workshops/:id":                         {"/workshops/" + f.workshopID, nil, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"POST /workshops/:id/register":               {"/workshops/" + f.workshopID + "/register", url.Values{}, [7]int{401, 403, 303, 303, 303, 303, 303}},
		"POST /workshops/:id/cancel":                 {"/workshops/" + f.workshopID + "/cancel", url.Values{}, [7]int{401, 403, 303, 303, 303, 303, 303}}, // registered through the API route, which sorts first,
		"POST /workshops/:id/open":                   {"/workshops/" + f.workshopID + "/open", url.Values{}, [7]int{401, 403, 403, 303, 403, 403, 303}},
		"POST /workshops/:id/close":                  {"/workshops/" + f.workshopID + "/close", url.Values{}, [7]int{401, 403, 403, 303, 403, 403, 303}},
		"POST /workshops/:id/consent":                {"/workshops/" + f.workshopID + "/consent", url.Values{"show_name": {"1"}}, [7]int{401, 403, 303, 303, 303, 303, 303}}, // registered through the API route, which sorts first
		"GET /workshops/:id/outcome":                 {"/workshops/" + f.workshopID + "/outcome", nil, [7]int{401, 403, 403, 200, 403, 403, 200}},
		"POST /workshops/:id/outcome":                {"/workshops/" + f.workshopID + "/outcome", url.Values{"action": {"save"}, "markdown": {""}, "visibility": {"members"}}, [7]int{401, 403, 403, 422, 403, 403, 422}},
		"GET /workshops/:id/runsheet":                {"/workshops/" + f.workshopID + "/runsheet", nil, [7]int{401, 403, 403, 200, 403, 403, 200}},
		"POST /workshops/:id/runsheet":               {"/workshops/" + f.workshopID + "/runsheet", url.Values{"rows": {"1"}, "step-1-kind": {"juggle"}}, [7]int{401, 403, 403, 422, 403, 403, 422}},
		"GET /api/v1/workshops/:id/outcome":          {"/api/v1/workshops/" + f.workshopID + "/outcome", nil, [7]int{401, 403, 403, 200, 403, 403, 200}},
		"POST /api/v1/workshops/:id/outcome/publish": {"/api/v1/workshops/" + f.workshopID + "/outcome/publish", url.Values{}, [7]int{401, 403, 403, 400, 403, 403, 400}}, // a form body is not the JSON this route reads
		"GET /workshops/:id/attendees.csv":           {"/workshops/" + f.workshopID + "/attendees.csv", nil, [7]int{401, 403, 403, 200, 403, 403, 200}},
		"GET /workshops/:id/calendar.ics":            {"/workshops/" + f.workshopID + "/calendar.ics", nil, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"GET /calendar/:token":                       {"/calendar/unknown.ics", nil, [7]int{404, 404, 404, 404, 404, 404, 404}},
		"POST /api/v1/workshops":                     {"/api/v1/workshops", url.Values{}, [7]int{401, 403, 403, 400, 400, 403, 400}},
		"GET /api/v1/workshops/:id":                  {"/api/v1/workshops/" + f.workshopID, nil, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"POST /api/v1/workshops/:id/registrations":   {"/api/v1/workshops/" + f.workshopID + "/registrations", url.Values{}, [7]int{401, 403, 201, 201, 201, 201, 201}},
		"DELETE /api/v1/workshops/:id/registrations": {"/api/v1/workshops/" + f.workshopID + "/registrations", url.Values{}, [7]int{401, 403, 404, 404, 404, 404, 404}},
		"POST /api/v1/workshops/:id/open":            {"/api/v1/workshops/" + f.workshopID + "/open", url.Values{}, [7]int{401, 403, 403, 200, 403, 403, 200}},
		"POST /api/v1/workshops/:id/close":           {"/api/v1/workshops/" + f.workshopID + "/close", url.Values{}, [7]int{401, 403, 403, 200, 403, 403, 200}},
		"GET /api/v1/workshops/:id/live":             {"/api/v1/workshops/" + f.workshopID + "/live", nil, [7]int{401, 403, 400, 400, 400, 400, 400}},

		// Discussions. The thread is in the members-only general category,
		// written by the target member; "coordinator" moderates nothing there.
		"GET /discussions/search":                 {"/discussions/search?q=matrix", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"GET /discussions/review":                 {"/discussions/review", nil, [7]int{401, 403, 403, 403, 200, 200, 200}},
		"GET /discussions/notifications":          {"/discussions/notifications", nil, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"POST /discussions/notifications/read":    {"/discussions/notifications/read", url.Values{}, [7]int{401, 403, 303, 303, 303, 303, 303}},
		"GET /discussions/settings":               {"/discussions/settings", nil, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"POST /discussions/settings":              {"/discussions/settings", url.Values{"email": {"sometimes"}}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"GET /discussions/mentions":               {"/discussions/mentions?q=ma", nil, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"POST /discussions/preview":               {"/discussions/preview", url.Values{"body": {""}}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"GET /discussions/live":                   {"/discussions/live?thread=" + strings.Repeat("0", 24), nil, [7]int{401, 403, 404, 404, 404, 404, 404}},
		"POST /discussions/categories":            {"/discussions/categories", url.Values{"name": {""}, "group": {f.groupID}}, [7]int{401, 403, 403, 403, 403, 400, 400}},
		"POST /discussions/categories/:id/move":   {"/discussions/categories/" + f.catID + "/move", url.Values{"direction": {"up"}}, [7]int{401, 403, 403, 403, 303, 403, 303}},
		"POST /discussions/groups/:slug/settings": {"/discussions/groups/transparency-cop/settings", url.Values{}, [7]int{401, 403, 403, 403, 403, 303, 303}},
		"POST /discussions/resources/:id":         {"/discussions/resources/" + strings.Repeat("0", 24), url.Values{}, [7]int{401, 403, 404, 404, 404, 404, 404}},
		"GET /discussions/c/:slug":                {"/discussions/c/general", nil, [7]int{404, 404, 200, 200, 200, 200, 200}},
		"GET /discussions/c/:slug/feed":           {"/discussions/c/general/feed", nil, [7]int{404, 404, 200, 200, 200, 200, 200}},
		"GET /discussions/c/:slug/new":            {"/discussions/c/general/new", nil, [7]int{401, 403, 200, 200, 200, 200, 200}},
		"POST /discussions/c/:slug/new":           {"/discussions/c/general/new", url.Values{"title": {""}}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"POST /discussions/c/:slug/level":         {"/discussions/c/general/level", url.Values{"level": {"loud"}}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"GET /threads/:id":                        {"/threads/" + f.threadID, nil, [7]int{404, 404, 200, 200, 200, 200, 200}},
		"GET /threads/:id/feed":                   {"/threads/" + f.threadID + "/feed", nil, [7]int{404, 404, 200, 200, 200, 200, 200}},
		"POST /threads/:id/reply":                 {"/threads/" + f.threadID + "/reply", url.Values{"body": {""}}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"POST /threads/:id/level":                 {"/threads/" + f.threadID + "/level", url.Values{"level": {"loud"}}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"POST /threads/:id/moderate":              {"/threads/" + f.threadID + "/moderate", url.Values{"action": {"explode"}}, [7]int{401, 403, 403, 403, 400, 403, 400}},
		"GET /threads/:id/posts/:n":               {"/threads/" + f.threadID + "/posts/1", nil, [7]int{404, 404, 303, 303, 303, 303, 303}},
		"GET /threads/:id/posts/:n/fragment":      {"/threads/" + f.threadID + "/posts/1/fragment", nil, [7]int{404, 404, 200, 200, 200, 200, 200}},
		"GET /threads/:id/posts/:n/history":       {"/threads/" + f.threadID + "/posts/1/history", nil, [7]int{404, 404, 200, 200, 200, 200, 200}},
		"GET /threads/:id/posts/:n/edit":          {"/threads/" + f.threadID + "/posts/1/edit", nil, [7]int{401, 403, 403, 403, 200, 403, 200}},
		"POST /threads/:id/posts/:n/edit":         {"/threads/" + f.threadID + "/posts/1/edit", url.Values{"body": {""}}, [7]int{401, 403, 403, 403, 400, 403, 400}},
		"POST /threads/:id/posts/:n/delete":       {"/threads/" + f.threadID + "/posts/9/delete", url.Values{}, [7]int{401, 403, 404, 404, 404, 404, 404}},
		"POST /threads/:id/posts/:n/react":        {"/threads/" + f.threadID + "/posts/1/react", url.Values{"reaction": {"boo"}}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"POST /threads/:id/posts/:n/accept":       {"/threads/" + f.threadID + "/posts/1/accept", url.Values{}, [7]int{401, 403, 403, 403, 403, 403, 403}},
		"POST /threads/:id/posts/:n/flag":         {"/threads/" + f.threadID + "/posts/1/flag", url.Values{"reason": {"boredom"}}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"POST /threads/:id/posts/:n/moderate":     {"/threads/" + f.threadID + "/posts/1/moderate", url.Values{"action": {"explode"}}, [7]int{401, 403, 403, 403, 400, 403, 400}},
		"GET /unsubscribe/:token":                 {"/unsubscribe/" + f.token, nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"POST /unsubscribe/:token":                {"/unsubscribe/forged.token", url.Values{}, [7]int{404, 404, 404, 404, 404, 404, 404}},
		"GET /api/v1/categories":                  {"/api/v1/categories", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"POST /api/v1/threads":                    {"/api/v1/threads", url.Values{"title": {"x"}}, [7]int{401, 403, 400, 400, 400, 400, 400}},
		"GET /api/v1/threads/:id":                 {"/api/v1/threads/" + f.threadID, nil, [7]int{404, 404, 200, 200, 200, 200, 200}},
		"POST /api/v1/threads/:id/posts":          {"/api/v1/threads/" + f.threadID + "/posts", url.Values{"body": {""}}, [7]int{401, 403, 400, 400, 400, 400, 400}},

		// The admin area; "coordinator" runs transparency-cop, moderators
		// look after portal-wide categories.
		"GET /admin":                                       {"/admin", nil, [7]int{401, 403, 403, 403, 200, 200, 200}},
		"GET /admin/groups":                                {"/admin/groups", nil, [7]int{401, 403, 403, 403, 403, 200, 200}},
		"GET /admin/groups/new":                            {"/admin/groups/new", nil, [7]int{401, 403, 403, 403, 403, 403, 200}},
		"POST /admin/groups":                               {"/admin/groups", url.Values{"name": {""}}, [7]int{401, 403, 403, 403, 403, 403, 400}},
		"GET /admin/groups/:slug":                          {"/admin/groups/transparency-cop", nil, [7]int{401, 403, 403, 403, 403, 200, 200}},
		"POST /admin/groups/:slug":                         {"/admin/groups/transparency-cop", url.Values{"name": {""}}, [7]int{401, 403, 403, 403, 403, 400, 400}},
		"POST /admin/groups/:slug/coordinators":            {"/admin/groups/transparency-cop/coordinators", url.Values{"email": {""}}, [7]int{401, 403, 403, 403, 403, 400, 400}},
		"POST /admin/groups/:slug/coordinators/:id/remove": {"/admin/groups/transparency-cop/coordinators/" + f.approvedID + "/remove", url.Values{}, [7]int{401, 403, 403, 403, 403, 404, 404}},
		"POST /admin/groups/:slug/archive":                 {"/admin/groups/transparency-cop/archive", url.Values{"archive": {"0"}}, [7]int{401, 403, 403, 403, 403, 303, 303}}, // restoring a group that is not archived changes nothing
		"POST /api/v1/groups":                              {"/api/v1/groups", url.Values{}, [7]int{401, 403, 403, 403, 403, 403, 400}},                                         // a form body is not the JSON this route reads
		"PATCH /api/v1/groups/:slug":                       {"/api/v1/groups/transparency-cop", url.Values{}, [7]int{401, 403, 403, 403, 403, 400, 400}},
		"GET /conduct":                                     {"/conduct", nil, [7]int{200, 200, 200, 200, 200, 200, 200}},
		"POST /conduct":                                    {"/conduct", url.Values{}, [7]int{401, 303, 303, 303, 303, 303, 303}},
		"GET /admin/settings":                              {"/admin/settings", nil, [7]int{401, 403, 403, 403, 403, 403, 200}},
		"POST /admin/settings":                             {"/admin/settings", url.Values{"contact": {""}}, [7]int{401, 403, 403, 403, 403, 403, 400}}, // no language offered
		"POST /admin/settings/logo/remove":                 {"/admin/settings/logo/remove", url.Values{}, [7]int{401, 403, 403, 403, 403, 403, 303}},
		"GET /site/logo/:file":                             {"/site/logo/00000000000000000000000000000000.png", nil, [7]int{404, 404, 404, 404, 404, 404, 404}}, // no logo set
		"GET /admin/categories":                            {"/admin/categories", nil, [7]int{401, 403, 403, 403, 200, 200, 200}},
		"POST /admin/categories":                           {"/admin/categories", url.Values{"name": {""}}, [7]int{401, 403, 403, 403, 400, 403, 400}}, // portal-wide: moderators and administrators
		"GET /admin/categories/:id":                        {"/admin/categories/" + f.catID, nil, [7]int{401, 403, 403, 403, 200, 403, 200}},
		"POST /admin/categories/:id":                       {"/admin/categories/" + f.catID, url.Values{"name": {""}}, [7]int{401, 403, 403, 403, 400, 403, 400}},
		"POST /admin/categories/:id/archive":               {"/admin/categories/" + f.catID + "/archive", url.Values{"archive": {"0"}}, [7]int{401, 403, 403, 403, 303, 403, 303}},
		"POST /api/v1/categories":                          {"/api/v1/categories", url.Values{"name": {""}}, [7]int{401, 403, 403, 403, 400, 403, 400}},
		"PATCH /api/v1/categories/:slug":                   {"/api/v1/categories/general", url.Values{"name": {""}}, [7]int{401, 403, 403, 403, 400, 403, 400}},
	}
}

type matrixFixture struct {
	approvedID, pendingID, workshopID string
	threadID, catID                   string // a thread by approvedID in the general category
	groupID                           string // transparency-cop
	token                             string // an unsubscribe token of approvedID
	resourceID                        string
}

// newMatrix builds a server with the callers and objects of the access
// matrix.
func newMatrix(t *testing.T) (*Server, map[string]*auth.Member, map[string]matrixCase) {
	t.Helper()
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	callers := map[string]*auth.Member{
		"pending":     newMember(t, s, "Matrix Pending", auth.StatusPending, auth.RoleMember),
		"member":      newMember(t, s, "Matrix Member", auth.StatusApproved, auth.RoleMember),
		"facilitator": newMember(t, s, "Matrix Facilitator", auth.StatusApproved, auth.RoleFacilitator),
		"moderator":   newMember(t, s, "Matrix Moderator", auth.StatusApproved, auth.RoleModerator),
		"coordinator": newMember(t, s, "Matrix Coordinator", auth.StatusApproved, auth.RoleMember),
		"admin":       newMember(t, s, "Matrix Admin", auth.StatusApproved, auth.RoleAdmin),
	}
	g, err := s.auth.GroupBySlug(ctx, "transparency-cop")
	if err != nil {
		t.Fatal(err)
	}
	g.Coordinators = append(g.Coordinators, callers["coordinator"].ID)
	if _, err := s.auth.PutGroup(ctx, *g); err != nil {
		t.Fatal(err)
	}
	f := matrixFixture{
		approvedID: newMember(t, s, "Matrix Target", auth.StatusApproved, auth.RoleMember).ID,
		pendingID:  newMember(t, s, "Matrix Applicant", auth.StatusPending, auth.RoleMember).ID,
		resourceID: publicResource(t, s, callers["member"].ID),
	}
	start := time.Now().Add(24 * time.Hour)
	w, err := s.workshops.Create(ctx, callers["facilitator"].ID, workshops.Input{Title: "Matrix workshop", StartsAt: start, EndsAt: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f.workshopID = w.ID
	general, err := s.forum.CategoryBySlug(ctx, "general")
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: general, AuthorID: f.approvedID, Title: "Matrix thread", Body: "A post."})
	if err != nil {
		t.Fatal(err)
	}
	f.threadID, f.catID, f.groupID = th.ID, general.ID, g.ID
	f.token = s.signer.Token(f.approvedID, forum.ScopeEmail, "")
	return s, callers, accessMatrix(f)
}

// Every route is in the matrix, and every caller gets the expected status.
// A route added to the router without an entry here fails this test.
func TestAccessMatrix(t *testing.T) {
	s, callers, matrix := newMatrix(t)
	var missing []string
	for _, r := range s.Routes() {
		if _, ok := matrix[r.Method+" "+r.Path]; !ok {
			missing = append(missing, r.Method+" "+r.Path)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("routes without an entry in the access matrix:\n%s", strings.Join(missing, "\n"))
	}
	record := os.Getenv("MATRIX_PRINT") != ""
	keys := make([]string, 0, len(matrix))
	for k := range matrix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		mc := matrix[key]
		method := strings.SplitN(key, " ", 2)[0]
		got := [7]int{}
		for i, role := range matrixRoles {
			c := newClient(t, s)
			if m := callers[role]; m != nil {
				c.signInAs(m.ID)
			} else {
				c.get("/")
			}
			var body *strings.Reader
			if mc.form != nil {
				form := url.Values{"_csrf": {c.csrf}}
				for k, v := range mc.form {
					form[k] = v
				}
				body = strings.NewReader(form.Encode())
			} else {
				body = strings.NewReader("")
			}
			req := httptest.NewRequest(method, mc.path, body)
			if mc.form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			req.Header.Set("Accept", fiber.MIMEApplicationJSON)
			res, _ := c.do(req)
			got[i] = res.StatusCode
		}
		if record {
			fmt.Printf("%-42s %v\n", key, got)
			continue
		}
		if got != mc.want {
			t.Errorf("%s: got %v, want %v (callers %v)", key, got, mc.want, matrixRoles)
		}
	}
	t.Logf("%d routes × %d callers = %d requests checked", len(keys), len(matrixRoles), len(keys)*len(matrixRoles))
}

// publicResource shares a small public text file as owner.
func publicResource(t *testing.T, s *Server, owner string) string {
	t.Helper()
	ctx := context.Background()
	sp, err := s.lib.Receive(ctx, strings.NewReader("Matrix resource\n"), "matrix.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	r, _, err := s.lib.Create(ctx, owner, resources.Meta{Title: "Matrix resource", Summary: "s", Type: "report", Languages: []string{"en"}, Licence: "cc_by", Visibility: resources.VisibilityPublic}, sp, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// sessionOnlyRoutes manage credentials or the account: a token is refused
// there whatever its scope (finding 9 of the penetration test: a token could
// create new tokens and delete its account).
var sessionOnlyRoutes = map[string]bool{
	"POST /workshops/feed": true, "POST /workshops/feed/revoke": true,
	"GET /profile/tokens": true, "POST /profile/tokens": true, "POST /profile/tokens/:id/revoke": true,
	"GET /profile/sessions": true, "POST /profile/sessions/others/end": true, "POST /profile/sessions/:id/end": true,
	"POST /profile/export": true, "GET /profile/delete": true, "POST /profile/delete": true,
}

// Every route of the matrix, called with a token of each scope held by an
// administrator: a read token only reads, a write token does all but
// administration, an admin token all; none manages tokens, sessions or the
// account. Where the scope allows the call, the answer is the one the
// administrator gets with a browser session. A token made before scopes
// existed acts as a write token.
func TestAccessMatrixTokens(t *testing.T) {
	s, _, matrix := newMatrix(t)
	ctx := context.Background()
	routes := map[string]Route{}
	for _, r := range s.Routes() {
		routes[r.Method+" "+r.Path] = r
	}
	for key := range sessionOnlyRoutes {
		if _, ok := routes[key]; !ok {
			t.Fatalf("session-only route %s is not in the router", key)
		}
	}
	keys := make([]string, 0, len(matrix))
	for k := range matrix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, scope := range []string{"read", "write", "admin", "legacy"} {
		t.Run(scope, func(t *testing.T) {
			m := newMember(t, s, "Token "+scope+" Admin", auth.StatusApproved, auth.RoleAdmin)
			var secret string
			var err error
			if scope == "legacy" {
				var tok *auth.APIToken
				secret, tok, err = s.auth.CreateToken(ctx, m.ID, "legacy", nil)
				if err == nil {
					_, err = s.store.DB.Collection("api_tokens").UpdateOne(ctx, bson.M{"_id": tok.ID}, bson.M{"$unset": bson.M{"scope": ""}})
				}
			} else {
				secret, _, err = s.auth.CreateScopedToken(ctx, m.ID, scope, auth.TokenScope(scope), nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			if scope == "legacy" {
				if toks, _ := s.auth.Tokens(ctx, m.ID); len(toks) != 1 || toks[0].Scope != "" || toks[0].EffectiveScope() != auth.ScopeWrite {
					t.Fatalf("legacy token: %+v", toks)
				}
			}
			for _, key := range keys {
				mc := matrix[key]
				method, pattern, _ := strings.Cut(key, " ")
				want := mc.want[6]
				switch {
				case sessionOnlyRoutes[key]:
					want = 403
				case scope == "read" && !isSafeMethod(method):
					want = 403
				case (strings.HasPrefix(pattern, "/admin/") || routes[key].Access == Admin) && scope != "admin":
					want = 403 // the administration routes, by path or by level
				}
				body := ""
				if mc.form != nil {
					// The same body as the browser callers send, CSRF field
					// included (ignored for tokens), so only the credential
					// differs.
					form := url.Values{"_csrf": {"unused"}}
					for k, v := range mc.form {
						form[k] = v
					}
					body = form.Encode()
				}
				req := httptest.NewRequest(method, mc.path, strings.NewReader(body))
				if mc.form != nil {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				req.Header.Set("Accept", fiber.MIMEApplicationJSON)
				req.Header.Set("Authorization", "Bearer "+secret)
				res, resBody := newClient(t, s).do(req)
				if res.StatusCode != want {
					t.Errorf("%s with a %s token: %d, want %d: %.200s", key, scope, res.StatusCode, want, resBody)
				}
			}
		})
	}
}

// A read token does not open a live socket: its frames write.
func TestReadTokenOpensNoSocket(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	m := newMember(t, s, "Socket Reader", auth.StatusApproved, auth.RoleMember)
	secret, _, err := s.auth.CreateScopedToken(context.Background(), m.ID, "reader", auth.ScopeRead, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/v1/workshops/"+strings.Repeat("0", 24)+"/live", nil)
	for k, v := range map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
		"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Authorization": "Bearer " + secret, "Accept": fiber.MIMEApplicationJSON} {
		req.Header.Set(k, v)
	}
	if res, body := newClient(t, s).do(req); res.StatusCode != 403 || !strings.Contains(body, "scope") {
		t.Fatalf("read token upgrading: %d %s", res.StatusCode, body)
	}
}

// HEAD is answered wherever GET is, with the same status and no body.
func TestHeadWhereverGet(t *testing.T) {
	s, callers, matrix := newMatrix(t)
	n := 0
	for key, mc := range matrix {
		method, _, _ := strings.Cut(key, " ")
		if method != fiber.MethodGet {
			continue
		}
		n++
		c := newClient(t, s)
		c.signInAs(callers["admin"].ID)
		get, _ := c.do(httptest.NewRequest(fiber.MethodGet, mc.path, nil))
		head, body := c.do(httptest.NewRequest(fiber.MethodHead, mc.path, nil))
		if head.StatusCode != get.StatusCode || head.StatusCode == 404 && get.StatusCode != 404 || head.StatusCode == 405 {
			t.Errorf("HEAD %s: %d, GET: %d", mc.path, head.StatusCode, get.StatusCode)
		}
		if body != "" {
			t.Errorf("HEAD %s sent a body", mc.path)
		}
	}
	anon := newClient(t, s)
	if res, _ := anon.do(httptest.NewRequest(fiber.MethodHead, "/", nil)); res.StatusCode != 200 {
		t.Fatalf("HEAD /: %d", res.StatusCode)
	}
	t.Logf("%d GET routes answered HEAD", n)
}

// The groups memo reads the groups once for a request and serves the
// viewer's from the stamped copy: only for reads that end soon, never a
// change of state nor a stream that re-checks rights.
func TestGroupsMemoOnlyOnPagesThatRead(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	n := 0
	for _, r := range s.Routes() {
		if !r.GroupsMemo {
			continue
		}
		n++
		if r.Method != fiber.MethodGet || strings.HasSuffix(r.Path, "/live") { // the streams
			t.Errorf("%s %s reads the groups once for the whole request", r.Method, r.Path)
		}
	}
	if n == 0 {
		t.Error("no route reads the groups once per request")
	}
}

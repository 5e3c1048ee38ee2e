### 全国安全生产培训证书查验平台 — 简体中文（默认语言）

## 错误提示（JSON 错误响应）

error-invalid-cert-no = 证书编号格式不正确：应为 4 至 32 位数字、英文字母或连字符（-）。请核对证书上印制的编号。
error-invalid-name = 持证人姓名格式不正确：应为 1 至 40 个字，不能包含数字或符号。
error-missing-parameter = 缺少必填参数：{ $name }。
error-invalid-parameter = 参数 { $name } 格式不正确。
error-unknown-tenant = 不存在该省份或查询单位。可查询的省份列表请见 /api/v1/tenants。
error-certificate-not-found = 在本省份未查询到该编号的证书。
error-not-found = 您访问的地址不存在。
error-rate-limited = 您所在网络地址的查询过于频繁，请 { $seconds } 秒后再试。
error-bad-request = 无法识别该请求，请检查参数及其编码（应为 UTF-8）。
error-payload-too-large = 请求内容过大。
error-method-not-allowed = 该地址不支持此请求方式。
error-unavailable = 服务暂时不可用，请稍后再试。
error-internal = 系统内部错误，请稍后再试；如问题持续存在，请提供请求编号 { $request_id }。

## 证书查验页面

site-name = 全国安全生产培训证书查验平台
site-tagline = 本平台为官方证书查验渠道，证书真伪以本平台查验结果为准。请先核对浏览器地址栏中的网址，谨防假冒查验网站。
skip-to-content = 跳转到主要内容
language-switch = 语言
verify-heading = 证书查验
verify-intro = 请按证书上印制的内容，准确填写证书编号和持证人姓名。
label-cert-no = 证书编号
label-name = 持证人姓名
placeholder-cert-no = 例如：GD2023000123（示例编号）
placeholder-name = 例如：张三
verify-submit = 查验
result-heading = 查验结果
result-genuine = 证书真实：证书编号与持证人姓名均与登记记录一致。
result-no-match = 未查询到与该编号和姓名相符的证书。请核对后重新查询；在本平台查询不到的证书可能是伪造证书。
status-valid = 有效
status-expiring = 即将到期
status-expired = 已过期
status-revoked = 已撤销
status-suspended = 已暂扣
status-label = 证书状态
field-holder = 持证人
field-cert-no = 证书编号
field-cert-type = 证书类型
field-position = 岗位
field-industry = 行业
field-province = 省份
field-authority = 发证机关
field-issue-date = 发证日期
field-expiry-date = 有效期至
footer-privacy = 为保护持证人隐私，部分个人信息已作隐藏处理。
footer-api = 开发者：API 接口文档
error-invalid-body = 请求正文不是该操作所需的 JSON。请对照 /docs/ 中的接口文档检查字段名称和类型。
error-unauthorized = 此操作需要管理员令牌：请以 "Authorization: Bearer <令牌>" 的形式发送。
error-admin-disabled = 本服务器未开启管理接口：设置 SAFECERT_ADMIN_TOKEN 后方可使用。
error-rules-rejected = 规则未被接受：未通过检查。详情逐条列出问题所在的文件、行和列；未做任何更改。
error-unknown-rules-version = 该省份没有此名称的规则版本。可在 /api/v1/t/<省份>/rules 查看版本列表。
error-rules-conflict = 目前无法这样更改规则：该版本已在生效、没有可回退的版本，或已有其他更改在先。请重新获取版本列表后再试。
error-unauthenticated = 请先登录（或会话已结束）：请携带会话 Cookie 或 "Authorization: Bearer <令牌>"。公众查询请使用 /api/v1/verify。
error-forbidden = 您的账号无权执行此操作，请联系管理员开通权限。
error-invalid-code = 验证码错误、已过期或已使用，请重新登录获取新的验证码。
error-too-many-codes = 该账号申请验证码过于频繁，请 15 分钟后再试。
error-invalid-input = 部分信息无效，详情中列出了字段及原因。
error-weak-password = 密码强度不足，详情中说明了原因。请使用至少 10 位、混合字母、数字和符号的密码。
error-second-factor-unavailable = 无法使用该第二验证方式：请选择 totp，或提供服务器可送达的手机号（sms）或邮箱（email）。
error-already-registered = 该企业或登录名已注册，请直接登录或换一个名称。
error-unknown-department = 您的企业中没有该部门。
signin-code-sent = 如果登录名和密码正确，验证码已通过该账号的第二验证方式（短信、邮件或身份验证器）发出，请在 5 分钟内输入。
error-unknown-grant = 没有这项生效中的授权。
error-unknown-request = 没有这项申请。
error-already-decided = 该申请已被处理，请刷新查看结果。
error-grant-exceeds-granter = 授权不能超过您自己的权限：请在您的权限范围内选择操作和部门。

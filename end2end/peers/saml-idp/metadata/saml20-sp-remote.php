<?php
// Service providers registered by the tests: LIAISON_SSP_RUN/sps.json is a list of
// {"entity_id": ..., "acs": ..., "cert": base64 DER}; read on every request, so tests can
// add SPs at run time. With a certificate, AuthnRequests must be signed with its key.
$file = getenv('LIAISON_SSP_RUN') . '/sps.json';
$sps = is_file($file) ? json_decode(file_get_contents($file), true) : [];
foreach ($sps ?: [] as $sp) {
    $metadata[$sp['entity_id']] = [
        'AssertionConsumerService' => $sp['acs'],
        'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        'simplesaml.nameidattribute' => 'email',
        'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
        'sign.response' => true,
        'sign.assertion' => true,
        'validate.authnrequest' => !empty($sp['cert']),
    ];
    if (!empty($sp['cert'])) {
        $metadata[$sp['entity_id']]['certData'] = $sp['cert'];
    }
}

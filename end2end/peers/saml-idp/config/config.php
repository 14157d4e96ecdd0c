<?php
// SimpleSAMLphp as the test suite's SAML IdP (not for production: fixed salt, http).
// Files live under the run directory given by LIAISON_SSP_RUN (see ../start.sh).
$run = getenv('LIAISON_SSP_RUN');
$config = [
    'baseurlpath' => '/',
    'certdir' => $run . '/cert/',
    'loggingdir' => $run . '/log/',
    'datadir' => $run . '/data/',
    'tempdir' => $run . '/tmp/',
    'metadatadir' => $run . '/metadata/',
    'technicalcontact_name' => 'Liaison tests',
    'technicalcontact_email' => 'tests@liaison.test',
    'secretsalt' => 'liaison-test-suite-salt',
    'auth.adminpassword' => 'liaison-test-suite-admin',
    'admin.protectindexpage' => false,
    'admin.protectmetadata' => false,
    'enable.saml20-idp' => true,
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'session.phpsession.savepath' => $run . '/sessions',
    'store.type' => 'phpsession',
    'logging.level' => SimpleSAML\Logger::WARNING,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true],
    'timezone' => 'UTC',
    'language.available' => ['en'],
    'language.default' => 'en',
    'showerrors' => true,
    'errorreporting' => false,
];

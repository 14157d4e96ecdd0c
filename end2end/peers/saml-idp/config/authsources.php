<?php
// Test users of the partner IdP: password "x" for everyone.
$config = [
    'admin' => ['core:AdminPassword'],
    'partner-users' => [
        'exampleauth:UserPass',
        'ann:x' => [
            'uid' => ['ann'],
            'email' => ['ann@partner.test'],
            'displayName' => ['Ann Partner'],
            'o' => ['Partner Agency'],
            'eduPersonAffiliation' => ['member', 'auditors'],
        ],
        'bob:x' => [
            'uid' => ['bob'],
            'email' => ['bob@partner.test'],
            'displayName' => ['Bob Partner'],
        ],
        'eve:x' => [
            'uid' => ['eve'],
            'email' => ['eve@elsewhere.test'],
            'displayName' => ['Eve Elsewhere'],
        ],
        'staff:x' => [
            'uid' => ['staff'],
            'email' => ['admin@liaison.test'],
            'displayName' => ['Staff Member'],
        ],
    ],
];
